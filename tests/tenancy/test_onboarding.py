"""A platform admin onboards a centre in one step; its tenant admin signs in, invites a
volunteer and a lawyer; the volunteer files a complaint and the lawyer is assigned by name;
nothing of the new tenant is visible to the existing ones and vice versa. On the development
issuer and on a real Keycloak (tests/tenancy/conftest.py)."""

from __future__ import annotations

from typing import Any

import jwt
from tenancy_helpers import PROBLEM_JSON, centre, onboard, outbox_events, staff

ROLE_GROUPS = {
    "analysts": ["analyst"],
    "coordinators": ["coordinator"],
    "lawyers": ["lawyer"],
    "tenant-admins": ["tenant-admin"],
    "volunteers": ["volunteer"],
}


def staff_subject(platform, tenant_id: str, name: str) -> str:
    (member,) = [
        e.subject for e in outbox_events(platform)
        if e.type == "staff.invited" and e.data["display_name"] == name
        and e.tenantid == tenant_id
    ]  # fmt: skip
    return member


def test_a_centre_is_onboarded_staffed_and_works_apart_from_the_others(world):
    platform, provider, sx = world.platform, world.provider, world.suffix
    tenant = onboard(world, centre(sx))
    assert tenant["status"] == "active"
    assert tenant["steps_done"] == ["registered", "organization", "groups", "admin", "announced"]
    tenant_id = tenant["id"]
    # the centre's role groups, each mapped to its role, visible through the admin API
    assert provider.role_groups(tenant_id) == ROLE_GROUPS

    # every service provisioned itself from tenant.onboarded
    (onboarded,) = [e for e in outbox_events(platform) if e.type == "tenant.onboarded"]
    assert onboarded.tenantid == tenant_id and "admin" not in onboarded.data["tenant"]
    offices = platform.intake.get("/v1/reference/public_offices").json()
    own = {row["code"] for row in offices["items"] if row.get("parent") == tenant_id}
    assert own == {"aktobe", "khromtau"}

    # the first admin was invited: no sign-in before the password is chosen
    admin_name = f"aliya-{sx}"
    assert provider.password_grant(admin_name, "whatever").status_code in (400, 401)
    provider.accept_invitation(admin_name, "Aliya-pass-1")
    admin_token = provider.token(admin_name, "Aliya-pass-1")
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    assert claims["organization"] == [tenant_id]
    assert "tenant-admin" in claims["resource_access"]["alac-api"]["roles"]
    admin = world.bearer(admin_token)

    # the tenant admin invites a volunteer (Khromtau) and a lawyer (Khromtau)
    for body in (
        staff(sx, "marat", "volunteer", "khromtau"),
        staff(sx, "aigerim", "lawyer", "khromtau", position="Lawyer, Khromtau office"),
    ):
        invited = platform.cases.post("/v1/staff/invitations", json=body, headers=admin)
        assert invited.status_code == 201, invited.text
        assert invited.json()["display_name"] == f"{body['first_name']} Sadykova"
    provider.accept_invitation(f"marat-{sx}", "Marat-pass-1")
    provider.accept_invitation(f"aigerim-{sx}", "Aigerim-pass-1")
    volunteer = world.bearer(provider.token(f"marat-{sx}", "Marat-pass-1"))
    lawyer = world.bearer(provider.token(f"aigerim-{sx}", "Aigerim-pass-1"))
    # their roles come from their role group alone, and their tokens carry them as before
    for username, group, role in (
        (f"marat-{sx}", "volunteers", "volunteer"),
        (f"aigerim-{sx}", "lawyers", "lawyer"),
        (admin_name, "tenant-admins", "tenant-admin"),
    ):
        assert provider.groups_of(username) == [f"/{tenant_id}/{group}"]
        assert provider.direct_roles(username) == []
        held = volunteer if group == "volunteers" else lawyer if group == "lawyers" else admin
        claims = jwt.decode(held["Authorization"][7:], options={"verify_signature": False})
        assert claims["resource_access"]["alac-api"]["roles"] == [role]
    kinds = [e.type for e in outbox_events(platform) if e.tenantid == tenant_id]
    assert kinds.count("staff.invited") == 3  # the admin, the volunteer, the lawyer

    # the volunteer files a complaint; the lawyer is assigned by username, then by e-mail
    filed = platform.intake.post(
        "/v1/complaints",
        json={"channel": "hotline", "crux": "Требуют деньги за справку в акимате."},
        headers=volunteer,
    )
    assert filed.status_code == 201, filed.text
    platform.pump()
    # intake names who recorded it (it learns names from staff.* events, as search does)
    shown = platform.intake.get(f"/v1/complaints/{filed.json()['id']}", headers=lawyer).json()
    assert shown["registered_by_name"] == "Marat Sadykova"
    cases = platform.cases.get("/v1/cases", headers=lawyer).json()["items"]
    (case,) = cases
    assert case["office"] == "khromtau"
    assigned = platform.cases.post(
        f"/v1/cases/{case['id']}/assignment",
        json={"assignee": f"aigerim-{sx}", "version": case["version"]},
        headers=lawyer,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_name"] == "Aigerim Sadykova"
    again = platform.cases.post(
        f"/v1/cases/{case['id']}/assignment",
        json={
            "assignee": f"AIGERIM-{sx}@aktobe-aid.example.org",
            "version": assigned.json()["version"],
        },
        headers=lawyer,
    )
    assert again.status_code == 200, again.text
    # names, not ids: the note's author and the audit trail's actor
    note = platform.cases.post(
        f"/v1/cases/{case['id']}/notes", json={"text": "Позвонить заявителю."}, headers=lawyer
    )
    assert note.status_code == 201, note.text
    notes = platform.cases.get(f"/v1/cases/{case['id']}/notes", headers=lawyer).json()
    assert [n["author_name"] for n in notes] == ["Aigerim Sadykova"]
    trail = platform.cases.get(f"/v1/cases/{case['id']}/audit", headers=admin).json()
    assigned_by = [e["actor_name"] for e in trail if e["what"] == "case.assign"]
    assert assigned_by == ["Aigerim Sadykova", "Aigerim Sadykova"]
    # outside cases too: search names the assignee (from staff.* events)
    platform.pump()
    found = platform.search.get(
        "/v1/search", params={"q": "справку", "facet": "assignee"}, headers=lawyer
    ).json()
    (hit,) = found["items"]
    assert (hit["assignee"], hit["assignee_name"]) == (
        staff_subject(platform, tenant_id, "Aigerim Sadykova"),
        "Aigerim Sadykova",
    )
    assert found["assignee_names"] == {hit["assignee"]: "Aigerim Sadykova"}

    # nothing of the new tenant is visible to an existing one, and vice versa
    tk = platform.intake.post(
        "/v1/complaints",
        json={"channel": "hotline", "crux": "Взятка в Алматы."},
        headers=world.bearer(provider.token("vera", "demovera")),
    )
    assert tk.status_code == 201, tk.text
    platform.pump()
    kazbek = world.bearer(provider.token("kazbek", "demokazbek"))
    tk_cases = platform.cases.get("/v1/cases", headers=kazbek).json()["items"]
    assert case["id"] not in {c["id"] for c in tk_cases}
    assert platform.cases.get(f"/v1/cases/{case['id']}", headers=kazbek).status_code == 404
    new_cases = platform.cases.get("/v1/cases", headers=lawyer).json()["items"]
    assert [c["id"] for c in new_cases] == [case["id"]]
    hidden = platform.intake.get(f"/v1/complaints/{tk.json()['id']}", headers=lawyer)
    assert hidden.status_code == 404


def test_onboarding_again_is_a_conflict_naming_the_id(world):
    body = centre(world.suffix)
    onboard(world, body)
    again = world.platform.cases.post("/v1/tenants", json=body, headers=world.platform_admin())
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith(PROBLEM_JSON)
    assert again.json()["errors"][0]["field"] == "body.id"


def test_an_unknown_region_is_refused_naming_the_field_and_nothing_is_made(world):
    body = centre(world.suffix)
    body["offices"][1]["region"] = "atlantis"
    refused = world.platform.cases.post("/v1/tenants", json=body, headers=world.platform_admin())
    assert refused.status_code == 422, refused.text
    fields = [e["field"] for e in refused.json()["errors"]]
    assert any(f.endswith("offices.1.region") for f in fields), fields
    listed = world.platform.cases.get("/v1/tenants", headers=world.platform_admin()).json()
    assert body["id"] not in {t["id"] for t in listed}


def test_only_a_platform_admin_onboards(world):
    tamara = world.bearer(world.provider.token("tamara", "demotamara"))
    refused = world.platform.cases.post("/v1/tenants", json=centre(world.suffix), headers=tamara)
    assert refused.status_code == 403


def test_identity_provider_down_gives_503_with_retry_after_and_nothing_half_made(
    world, unreachable_identity
):
    cases = world.platform.runtime("cases")
    working = cases.identity
    cases.identity = unreachable_identity()
    body = centre(world.suffix)
    admin = world.platform_admin()
    down = world.platform.cases.post("/v1/tenants", json=body, headers=admin)
    assert down.status_code == 503, down.text
    assert int(down.headers["Retry-After"]) > 0
    assert down.headers["content-type"].startswith(PROBLEM_JSON)
    listed = world.platform.cases.get("/v1/tenants", headers=admin).json()
    assert body["id"] not in {t["id"] for t in listed}
    assert working.organization(body["id"]) is None

    cases.identity = working
    onboard(world, body)  # the same request, once the provider is back


def test_an_onboarding_interrupted_half_way_is_completed_by_sending_it_again(world):
    """The provider fails after the organization was made. The failure is injected: the
    invitation raises the IdentityUnavailable that a dead provider gives (timing a real outage
    between two steps is not repeatable). The re-run resumes; nothing is made twice."""
    from alac_kernel.identity import IdentityUnavailable

    cases = world.platform.runtime("cases")
    real = cases.identity

    class FailsAtInvite:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def invite(self, *args: Any, **kwargs: Any) -> Any:
            raise IdentityUnavailable("invite: cannot reach the identity provider")

    cases.identity = FailsAtInvite()
    body = centre(world.suffix)
    admin = world.platform_admin()
    first = world.platform.cases.post("/v1/tenants", json=body, headers=admin)
    assert first.status_code == 503, first.text
    half = world.platform.cases.get(f"/v1/tenants/{body['id']}", headers=admin).json()
    assert half["status"] == "onboarding"
    assert half["steps_done"] == ["registered", "organization", "groups"]
    world.platform.pump()
    assert not [e for e in outbox_events(world.platform) if e.tenantid == body["id"]]

    cases.identity = real
    done = onboard(world, body)
    assert done["status"] == "active"
    assert done["organization_id"] == half["organization_id"]
    assert len([e for e in outbox_events(world.platform) if e.type == "tenant.onboarded"]) == 1


def test_role_groups_made_half_way_are_completed_by_sending_it_again(world):
    """The provider fails while the role groups are being made: the tenant's parent group and
    one role group exist (made through the admin API as the step would have), then the step
    raises. The re-run completes the groups, each once, and the onboarding."""
    from alac_kernel.identity import TENANT_ATTRIBUTE, IdentityUnavailable

    cases = world.platform.runtime("cases")
    real = cases.identity
    body = centre(world.suffix)
    tenant_id = body["id"]

    class FailsInGroups:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def ensure_role_groups(self, tenant: str) -> Any:
            admin = world.provider._admin()
            attributes = {TENANT_ATTRIBUTE: [tenant]}
            parent = admin.create_group({"name": tenant, "attributes": attributes})
            admin.create_group({"name": "lawyers", "attributes": attributes}, parent=parent)
            raise IdentityUnavailable("role groups: cannot reach the identity provider")

    cases.identity = FailsInGroups()
    admin = world.platform_admin()
    first = world.platform.cases.post("/v1/tenants", json=body, headers=admin)
    assert first.status_code == 503, first.text
    half = world.platform.cases.get(f"/v1/tenants/{tenant_id}", headers=admin).json()
    assert half["steps_done"] == ["registered", "organization"]
    assert world.provider.role_groups(tenant_id) == {"lawyers": []}

    cases.identity = real
    done = onboard(world, body)
    assert done["steps_done"] == ["registered", "organization", "groups", "admin", "announced"]
    assert world.provider.role_groups(tenant_id) == ROLE_GROUPS


# What the tenant admin may call in each service: the answer while the centre is active.
EVERY_SERVICE = (
    ("cases", "/v1/staff", 200),
    ("intake", "/v1/complaints/00000000-0000-4000-8000-000000000000", 404),
    ("search", "/v1/search?q=x", 200),
    ("analytics", "/v1/privacy/settings", 200),
)


def _answers(world, headers: dict[str, str]) -> list[int]:
    return [
        world.platform.clients[service].get(path, headers=headers).status_code
        for service, path, _ in EVERY_SERVICE
    ]


def test_suspension_refuses_sign_in_and_live_tokens_keeps_data_reactivation_restores_it(world):
    body = centre(world.suffix)
    onboard(world, body)
    admin_name = f"aliya-{world.suffix}"
    world.provider.accept_invitation(admin_name, "Aliya-pass-1")
    # a token issued before the suspension, still valid (not expired) after it
    live = world.bearer(world.provider.token(admin_name, "Aliya-pass-1"))
    active = [expected for _, _, expected in EVERY_SERVICE]
    assert _answers(world, live) == active
    pavel = world.platform_admin()
    cases = world.platform.cases
    suspended = cases.post(f"/v1/tenants/{body['id']}/suspend", json={}, headers=pavel)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert world.provider.password_grant(admin_name, "Aliya-pass-1").status_code in (400, 401)
    world.platform.pump()  # every service applies tenant.suspended
    for service, path, _ in EVERY_SERVICE:
        refused = world.platform.clients[service].get(path, headers=live)
        assert refused.status_code == 403, (service, refused.text)
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        assert refused.json()["reason"] == "tenant_suspended", (service, refused.text)
    assert cases.get("/v1/tenants", headers=pavel).status_code == 200  # the platform works on

    back = cases.post(f"/v1/tenants/{body['id']}/reactivate", headers=pavel)
    assert back.status_code == 200, back.text
    assert world.provider.password_grant(admin_name, "Aliya-pass-1").status_code == 200
    world.platform.pump()
    assert _answers(world, live) == active
