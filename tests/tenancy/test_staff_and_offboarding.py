"""Staff administration by the tenant admin (invite, move, deactivate) and the offboarding of
a centre, on both identity providers; and the `alac tenants onboard --file` command."""

from __future__ import annotations

import hashlib
import json
import socket
import zipfile
from pathlib import Path

import httpx
import jwt
from sqlalchemy import text
from tenancy_helpers import centre, onboard, outbox_events, staff
from typer.testing import CliRunner

from alac_analytics import tenants as analytics_tenants
from alac_cases import cli as cases_cli
from alac_cases.tenancy.archive import delete_tenant
from alac_cases.tenancy.intake_archive import HttpIntakeArchive
from alac_intake.reference import tenants as intake_tenants
from alac_kernel.db import session_scope
from alac_search.indexing.rebuild import rebuild

ROOT = Path(__file__).resolve().parents[2]
CONTACT = {"name": "Асель Ахметова", "phone": "+77011234567"}
# Tables of keys: deleted on offboarding, never archived (the archived ciphertext needs them).
KEY_FILES = ("/tenant_keys.json", "/complaint_text_keys.json", "/case_tenant_keys.json")


def unused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def signed_in_admin(world) -> dict[str, str]:
    onboard(world, centre(world.suffix))
    name = f"aliya-{world.suffix}"
    world.provider.accept_invitation(name, "Aliya-pass-1")
    return world.bearer(world.provider.token(name, "Aliya-pass-1"))


def test_a_tenant_admin_moves_and_deactivates_staff(world):
    admin, sx, cases = signed_in_admin(world), world.suffix, world.platform.cases
    body = staff(sx, "aigerim", "volunteer", "khromtau")
    assert cases.post("/v1/staff/invitations", json=body, headers=admin).status_code == 201
    world.provider.accept_invitation(f"aigerim-{sx}", "Aigerim-pass-1")

    moved = cases.post(
        f"/v1/staff/aigerim-{sx}/move",
        json={"office": "aktobe", "role": "lawyer", "position": "Lawyer"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["office"], moved.json()["role"]) == ("aktobe", "lawyer")
    token = world.provider.token(f"aigerim-{sx}", "Aigerim-pass-1")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["office"] == "aktobe"
    assert claims["resource_access"]["alac-api"]["roles"] == ["lawyer"]
    # the volunteers' group was left for the lawyers' one
    tenant_id = claims["organization"][0]
    assert world.provider.groups_of(f"aigerim-{sx}") == [f"/{tenant_id}/lawyers"]

    gone = cases.post(f"/v1/staff/{body['email']}/deactivate", headers=admin)
    assert gone.status_code == 200, gone.text
    assert gone.json()["active"] is False
    assert world.provider.password_grant(f"aigerim-{sx}", "Aigerim-pass-1").status_code in (
        400,
        401,
    )
    kinds = [e.type for e in outbox_events(world.platform) if e.subject == gone.json()["subject"]]
    assert kinds == ["staff.invited", "staff.moved", "staff.deactivated"]
    listed = cases.get("/v1/staff", headers=admin).json()
    assert {m["display_name"] for m in listed} >= {"Aigerim Sadykova", "Aliya Nurpeisova"}


def test_an_invitation_into_an_office_of_another_centre_names_the_field(world):
    admin = signed_in_admin(world)
    body = staff(world.suffix, "bolat", "lawyer", "almaty")  # tk's office
    refused = world.platform.cases.post("/v1/staff/invitations", json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.office"


def test_a_username_of_another_centre_is_refused(world):
    admin = signed_in_admin(world)
    body = staff(world.suffix, "x", "lawyer", "aktobe") | {"username": "lena"}
    refused = world.platform.cases.post("/v1/staff/invitations", json=body, headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["field"] == "body.username"


def test_offboarding_exports_an_archive_then_deletes_the_tenant_everywhere(world):
    admin, sx, platform = signed_in_admin(world), world.suffix, world.platform
    tenant_id = f"aktobe-{sx}"
    body = staff(sx, "marat", "volunteer", "aktobe")
    assert platform.cases.post("/v1/staff/invitations", json=body, headers=admin).status_code == 201
    world.provider.accept_invitation(f"marat-{sx}", "Marat-pass-1")
    volunteer = world.bearer(world.provider.token(f"marat-{sx}", "Marat-pass-1"))
    filed = platform.intake.post(
        "/v1/complaints",
        json={"channel": "hotline", "crux": "Вымогают деньги.", "contact": CONTACT},
        headers=volunteer,
    )
    assert filed.status_code == 201, filed.text
    platform.pump()
    facts = "select count(*) from complaint_facts where tenant_id = :t"
    with platform.runtime("analytics").engine.connect() as conn:
        assert conn.execute(text(facts), {"t": tenant_id}).scalar_one() == 1
        threshold = conn.execute(
            text("select small_cell_threshold from privacy_settings where tenant_id = :t"),
            {"t": tenant_id},
        ).scalar_one()
    assert threshold == 5  # the registry's suppression threshold, applied by analytics
    search = platform.runtime("search")
    assert [t for t, _, _ in search.search_engine.export()].count(tenant_id) == 1
    pavel = world.platform_admin()
    early = platform.cases.post(f"/v1/tenants/{tenant_id}/offboard", headers=pavel)
    assert early.status_code == 409  # suspend first: nobody works in an offboarded centre
    assert (
        platform.cases.post(f"/v1/tenants/{tenant_id}/suspend", json={}, headers=pavel).status_code
        == 200
    )
    offboard = f"/v1/tenants/{tenant_id}/offboard"
    # before the suspension reached intake, intake refuses to archive: nothing is deleted
    not_yet = platform.cases.post(offboard, headers=pavel)
    assert not_yet.status_code == 409 and "Intake" in not_yet.json()["detail"], not_yet.text
    platform.pump()
    # intake unreachable: 503 with Retry-After, nothing deleted, the same request completes
    cases_runtime = platform.runtime("cases")
    reachable = cases_runtime.intake_archive
    cases_runtime.intake_archive = HttpIntakeArchive(httpx.Client(base_url=unused_url()))
    down = platform.cases.post(offboard, headers=pavel)
    assert down.status_code == 503 and down.headers["Retry-After"], down.text
    assert platform.cases.get(f"/v1/tenants/{tenant_id}", headers=pavel).json()["status"] == (
        "suspended"
    )
    cases_runtime.intake_archive = reachable
    done = platform.cases.post(offboard, headers=pavel)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "offboarded"
    archive = cases_runtime.settings.data_dir / "archives" / done.headers["X-Archive-File"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == done.json()["archive_sha256"]
    with zipfile.ZipFile(archive) as z:
        files = {name: z.read(name) for name in z.namelist()}
    manifest = json.loads(files.pop(f"{tenant_id}/manifest.json"))
    assert {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()} == {
        name: entry["sha256"] for name, entry in manifest["files"].items()
    }
    assert {
        f"{tenant_id}/cases/office_staff.json",
        f"{tenant_id}/cases/tenant_registry.json",
    } < set(files)
    # intake's rows are in it, written before intake deleted them: the complaint, and its
    # contact as the vault stores it (ciphertext); never a key, never the contact in clear
    (complaint,) = json.loads(files[f"{tenant_id}/intake/complaints.json"])
    assert complaint["id"] == filed.json()["id"]
    (contact,) = json.loads(files[f"{tenant_id}/intake/complaint_contacts.json"])
    assert contact["complaint_id"] == complaint["id"] and contact["ciphertext"]
    assert not any(name.endswith(KEY_FILES) for name in files)
    everything = b"".join(files.values()).decode()
    assert CONTACT["phone"] not in everything and CONTACT["name"] not in everything
    platform.pump()
    with platform.runtime("intake").engine.connect() as conn:
        keys = conn.execute(
            text("select count(*) from tenant_keys where tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
    assert keys == 0  # its personal data can never be decrypted again
    with platform.runtime("cases").engine.connect() as conn:
        left = conn.execute(
            text("select count(*) from office_staff where tenant_id = :t"), {"t": tenant_id}
        ).scalar_one()
    assert left == 0
    with platform.runtime("analytics").engine.connect() as conn:
        assert conn.execute(text(facts), {"t": tenant_id}).scalar_one() == 0
    # search deleted its documents, and neither a late event nor a rebuild brings them back
    assert tenant_id not in {t for t, _, _ in search.search_engine.export()}
    (received,) = [
        e for e in outbox_events(platform, "intake")
        if e.type == "complaint.received" and e.tenantid == tenant_id
    ]  # fmt: skip
    (indexing,) = [c for c in search.consumers if c.group == "search"]
    with session_scope(search.session_factory, all_tenants=True) as session:
        indexing.handlers["complaint.received"](session, received)
    assert tenant_id not in {t for t, _, _ in search.search_engine.export()}
    rebuild(search, search.search_engine, poll_timeout_s=0.01)
    assert tenant_id not in {t for t, _, _ in search.search_engine.export()}
    assert world.provider.password_grant(f"aliya-{sx}", "Aliya-pass-1").status_code in (400, 401)
    assert world.provider.role_groups(tenant_id) is None  # the role groups went too
    # whichever consumer group ran first, deleting the tenant's rows keeps its standing
    (offboarded,) = [e for e in outbox_events(platform) if e.type == "tenant.offboarded"]
    for service, delete_rows in (
        ("intake", intake_tenants.apply_offboarded),
        ("analytics", lambda session, event: analytics_tenants.apply_offboarded(
            session=session, event=event)),
        ("cases", lambda session, event: delete_tenant(session, tenant_id)),
    ):  # fmt: skip
        with session_scope(platform.runtime(service).session_factory, all_tenants=True) as s:
            delete_rows(s, offboarded)
    for service in ("cases", "intake", "search", "analytics"):
        with platform.runtime(service).engine.connect() as conn:
            standing = conn.execute(
                text("select status from tenant_standing where tenant_id = :t"), {"t": tenant_id}
            ).scalar_one()
        assert standing == "offboarded", service
    gone = platform.intake.get(f"/v1/complaints/{filed.json()['id']}", headers=volunteer)
    assert gone.status_code == 403 and gone.json()["reason"] == "tenant_offboarded", gone.text
    assert [e.type for e in outbox_events(platform) if e.type.startswith("tenant.")][-1] == (
        "tenant.offboarded"
    )


def test_the_command_onboards_a_centre_file_and_names_the_bad_field(world, tmp_path, monkeypatch):
    monkeypatch.setattr(
        cases_cli, "service_factory", cases_cli.in_process(world.platform.cases.app)
    )
    token = world.provider.token(*world.provider.platform_admin)
    example = (ROOT / "deploy" / "tenants" / "aktobe-legal-aid.yaml").read_text()
    sx = world.suffix
    good = tmp_path / "centre.yaml"
    good.write_text(
        example.replace("id: aktobe-legal-aid", f"id: aktobe-{sx}")
        .replace("en: Aktobe Legal Aid", f"en: Aktobe Legal Aid {sx}")
        .replace("username: aliya", f"username: aliya-{sx}")
        .replace("email: aliya@", f"email: aliya-{sx}@")
    )
    runner = CliRunner()
    result = runner.invoke(
        cases_cli.tenants_app, ["onboard", "--file", str(good), "--token", token]
    )
    assert result.exit_code == 0, result.output
    assert '"status": "active"' in result.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("region: aktobe\n", "region: atlantis\n", 1))
    result = runner.invoke(cases_cli.tenants_app, ["onboard", "--file", str(bad), "--token", token])
    assert result.exit_code == 2
    assert "offices.0.region" in result.output and "unknown region 'atlantis'" in result.output
    assert len(result.output.strip().splitlines()) == 1

    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    result = runner.invoke(
        cases_cli.tenants_app, ["onboard", "--file", str(broken), "--token", token]
    )
    assert result.exit_code == 2 and "not a readable YAML file" in result.output
