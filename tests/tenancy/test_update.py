"""A platform admin changes a registered centre (`PATCH /v1/tenants/{id}`, `alac tenants
update --file`): If-Match against the registry's version, the result checked as a whole
centre with the bad field named, `tenant.updated` through the outbox, and every service
applying it (intake's public offices, analytics' names and threshold, cases' own clock)."""

from __future__ import annotations

import copy

import yaml
from sqlalchemy import text
from tenancy_helpers import PROBLEM_JSON, centre, onboard, outbox_events
from typer.testing import CliRunner

from alac_cases import cli as cases_cli
from alac_cases.notifications.digest import tenant_zone
from alac_kernel.db import session_scope

SHALKAR = {"code": "shalkar", "region": "aktobe", "names": {"kk": "Шалқар", "ru": "Шалкар", "en": "Shalkar"}}  # fmt: skip


def _updates(platform, tenant_id: str) -> list:
    return [
        e for e in outbox_events(platform) if e.type == "tenant.updated" and e.subject == tenant_id
    ]


def _retention_days(platform, tenant_id: str) -> int:
    with platform.runtime("intake").engine.connect() as conn:
        return conn.execute(
            text("select personal_data_days from retention_policies where tenant_id = :t"),
            {"t": tenant_id},
        ).scalar_one()


def _rules(platform, headers: dict[str, str]) -> dict[str, tuple]:
    answer = platform.cases.get("/v1/deadline-rules", headers=headers)
    assert answer.status_code == 200, answer.text
    return {r["code"]: (r["days"], r["day_kind"], r["warn_days"]) for r in answer.json()}


def _field(response) -> str:
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    return response.json()["errors"][0]["field"]


def test_a_platform_admin_updates_a_centre_and_every_service_applies_it(world):
    platform, sx = world.platform, world.suffix
    body = centre(sx)
    tenant_id = onboard(world, body)["id"]
    pavel = world.platform_admin()
    url = f"/v1/tenants/{tenant_id}"
    read = platform.cases.get(url, headers=pavel)
    assert read.status_code == 200 and read.headers["ETag"] == f'"{read.json()["version"]}"'
    version = read.json()["version"]
    change = {
        "names": {**body["names"], "en": f"Aktobe Region Legal Aid {sx}"},
        "offices": [*body["offices"], SHALKAR],
        "time_zone": "Asia/Aqtobe",
        "suppression_threshold": 7,
        "deadlines": {"response_days": 20, "warn_days_before": 5},
        "retention_years": 8,
    }

    # no If-Match, a malformed one, bad fields: refused naming the field, nothing changed
    missing = platform.cases.patch(url, json=change, headers=pavel)
    assert missing.status_code == 428 and _field(missing) == "header.If-Match"
    garbled = platform.cases.patch(url, json=change, headers=pavel | {"If-Match": "v-one"})
    assert garbled.status_code == 422 and _field(garbled) == "header.If-Match"
    at = pavel | {"If-Match": f'"{version}"'}
    atlantis = copy.deepcopy(change)
    atlantis["offices"][2]["region"] = "atlantis"
    for bad, field in (
        (atlantis, "body.offices.2.region"),
        ({"time_zone": "Mars/Olympus"}, "body.time_zone"),
        ({"id": "someone-else"}, "body.id"),
        ({"admin": body["admin"]}, "body.admin"),
        ({"offices": [*body["offices"], body["offices"][0]]}, "body.offices"),
    ):
        refused = platform.cases.patch(url, json=bad, headers=at)
        assert refused.status_code == 422, refused.text
        assert _field(refused) == field
    assert _updates(platform, tenant_id) == []

    changed = platform.cases.patch(url, json=change, headers=at)
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == f'"{version + 1}"'
    spec = changed.json()["spec"]
    assert spec["names"]["en"] == change["names"]["en"] and spec["time_zone"] == "Asia/Aqtobe"
    assert spec["languages"] == body["languages"]  # left out: kept
    (updated,) = _updates(platform, tenant_id)
    no_logo = {k: v for k, v in spec["letterhead"].items() if k != "logo_png"}  # not in events
    assert updated.data["tenant"] == {**spec, "letterhead": no_logo}
    assert updated.data["status"] == "active"
    assert updated.data["changed"] == sorted(change)
    assert "admin" not in updated.data["tenant"]

    # the same If-Match again is stale: the change of another admin is never overwritten
    stale = platform.cases.patch(url, json={"retention_years": 9}, headers=at)
    assert stale.status_code == 409, stale.text

    platform.pump()
    offices = platform.intake.get("/v1/reference/public_offices").json()["items"]
    assert {o["code"] for o in offices if o.get("parent") == tenant_id} == {
        "aktobe", "khromtau", "shalkar",
    }  # fmt: skip
    with platform.runtime("analytics").engine.connect() as conn:
        threshold = conn.execute(
            text("select small_cell_threshold from privacy_settings where tenant_id = :t"),
            {"t": tenant_id},
        ).scalar_one()
        name = conn.execute(
            text("select en from tenant_names where tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
    assert (threshold, name) == (7, change["names"]["en"])
    with session_scope(platform.runtime("cases").session_factory, tenant=tenant_id) as session:
        assert str(tenant_zone(session, tenant_id)) == "Asia/Aqtobe"
    assert _retention_days(platform, tenant_id) == 8 * 365  # was the onboarded 5 years
    # the tenant admin sets its own; a registry change of another field leaves it alone
    world.provider.accept_invitation(f"aliya-{sx}", "Aliya-pass-1")
    admin = world.bearer(world.provider.token(f"aliya-{sx}", "Aliya-pass-1"))
    own = platform.intake.put(
        "/v1/retention-policy", json={"personal_data_days": 400}, headers=admin
    )
    assert own.status_code == 200, own.text
    # cases' `response` deadline rule is the registry's, beside the default rules
    assert _rules(platform, admin)["response"] == (20, "calendar", 5)
    assert "first_contact" in _rules(platform, admin)
    mine = {"days": 25, "day_kind": "calendar", "warn_days": 4, "description": "Our own"}
    assert (
        platform.cases.put("/v1/deadline-rules/response", json=mine, headers=admin).status_code
        == 200
    )

    # an office is closed only when nobody active works in it (the first admin is in aktobe)
    at = pavel | {"If-Match": changed.headers["ETag"]}
    closing = platform.cases.patch(url, json={"offices": [SHALKAR]}, headers=at)
    assert closing.status_code == 409 and _field(closing) == "body.offices"
    # the same entry again changes nothing and announces nothing
    same = platform.cases.patch(url, json={"time_zone": "Asia/Aqtobe"}, headers=at)
    assert same.status_code == 200 and same.headers["ETag"] == changed.headers["ETag"]
    assert len(_updates(platform, tenant_id)) == 1
    renamed = platform.cases.patch(url, json={"languages": ["kk", "ru", "en"]}, headers=at)
    assert renamed.status_code == 200, renamed.text
    platform.pump()
    assert _retention_days(platform, tenant_id) == 400
    assert _rules(platform, admin)["response"] == (25, "calendar", 4)
    at = pavel | {"If-Match": renamed.headers["ETag"]}

    # only a platform admin changes the registry
    forbidden = platform.cases.patch(
        url, json={"retention_years": 9}, headers=admin | {"If-Match": at["If-Match"]}
    )
    assert forbidden.status_code == 403


def test_the_command_updates_from_the_centre_file_and_names_the_bad_field(
    world, tmp_path, monkeypatch
):
    monkeypatch.setattr(
        cases_cli, "service_factory", cases_cli.in_process(world.platform.cases.app)
    )
    body = centre(world.suffix)
    onboard(world, body)
    token = world.provider.token(*world.provider.platform_admin)
    runner = CliRunner()
    edited = {**body, "time_zone": "Asia/Oral", "offices": [*body["offices"], SHALKAR]}
    good = tmp_path / "centre.yaml"
    good.write_text(yaml.safe_dump(edited, allow_unicode=True))
    result = runner.invoke(cases_cli.tenants_app, ["update", "--file", str(good), "--token", token])
    assert result.exit_code == 0, result.output
    assert '"time_zone": "Asia/Oral"' in result.output and '"shalkar"' in result.output
    assert [e.data["tenant"]["time_zone"] for e in _updates(world.platform, body["id"])] == [
        "Asia/Oral"
    ]

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**edited, "retention_years": 0}, allow_unicode=True))
    result = runner.invoke(cases_cli.tenants_app, ["update", "--file", str(bad), "--token", token])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "retention_years" in lines[0], result.output

    stale = runner.invoke(
        cases_cli.tenants_app,
        ["update", "--file", str(good), "--version", "1", "--token", token],
    )
    assert stale.exit_code == 1, stale.output
    assert len(stale.output.strip().splitlines()) == 1 and "version" in stale.output
