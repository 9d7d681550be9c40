"""Withdrawal (complainant with the receipt code, or a coordinator) and the per-tenant
retention policy that erases personal data: both emit events, both tested on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from alac_intake.complaints.models import Complaint
from alac_intake.lifecycle.service import purge_expired, set_retention
from alac_intake.vault.models import ContactRecord
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import default_registry
from alac_kernel.settings import Settings

URL = "/v1/complaints"


def test_complainant_withdraws_with_the_receipt_code(intake):
    p = intake
    r = p.intake.post(
        URL, json={"channel": "web_form", "crux": "x", "anonymous": True}, headers=p.headers("vera")
    )
    code = r.json()["receipt_code"]
    w = p.intake.post(
        "/v1/follow-up/withdraw", json={"reason": "Решилось."}, headers={"Receipt-Code": code}
    )
    assert w.status_code == 200 and w.json()["withdrawn_by"] == "complainant"
    assert (
        p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()["status"]
        == "withdrawn"
    )
    (event,) = p.events("complaint.withdrawn")
    default_registry().validate(event)
    # The complainant's own words travel sealed under the complaint's key (docs/privacy.md).
    assert "reason" not in event.data and "Решилось" not in event.to_json().decode()
    assert set(event.data["sealed"]["fields"]) == {"reason"}
    again = p.intake.post("/v1/follow-up/withdraw", json={}, headers={"Receipt-Code": code})
    assert again.status_code == 409
    assert len(p.events("complaint.withdrawn")) == 1


def test_only_a_coordinator_of_the_tenant_withdraws_for_the_complainant(sqlite_intake):
    p = sqlite_intake
    cid = p.intake.post(
        URL, json={"channel": "hotline", "crux": "x"}, headers=p.headers("vera")
    ).json()["id"]
    assert (
        p.intake.post(f"{URL}/{cid}/withdraw", json={}, headers=p.headers("vera")).status_code
        == 403
    )
    assert (
        p.intake.post(f"{URL}/{cid}/withdraw", json={}, headers=p.headers("dana")).status_code
        == 403
    )
    r = p.intake.post(f"{URL}/{cid}/withdraw", json={}, headers=p.headers("kazbek"))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert p.events("complaint.withdrawn")[0].data["withdrawn_by"] == "coordinator"


def test_retention_purges_personal_data_after_the_tenants_period(intake):
    p = intake
    rt = p.runtime
    contact = {"name": "Ерлан", "phone": "+7 701 111 22 33"}
    old = p.intake.post(
        URL, json={"channel": "hotline", "crux": "a", "contact": contact}, headers=p.headers("vera")
    ).json()["id"]
    new = p.intake.post(
        URL, json={"channel": "hotline", "crux": "b", "contact": contact}, headers=p.headers("vera")
    ).json()["id"]
    ndi = p.intake.post(
        URL,
        json={"channel": "hotline", "crux": "c", "contact": contact},
        headers=p.headers("nurlan"),
    ).json()["id"]
    with session_scope(rt.session_factory, all_tenants=True) as s:
        s.get(Complaint, old).registered_at = utcnow() - timedelta(days=40)
        s.get(Complaint, ndi).registered_at = utcnow() - timedelta(days=40)
        set_retention(session=s, tenant="tk", days=30)  # ndi keeps the default (3 years)
    assert purge_expired(factory=rt.session_factory, outbox=rt.outbox, store=rt.attachments) == 1
    assert (
        purge_expired(factory=rt.session_factory, outbox=rt.outbox, store=rt.attachments) == 0
    )  # idempotent
    with session_scope(rt.session_factory, all_tenants=True) as s:
        left = set(s.execute(select(ContactRecord.complaint_id)).scalars())
    assert left == {new, ndi}
    assert p.intake.get(f"{URL}/{old}/contact", headers=p.headers("lena")).status_code == 404
    body = p.intake.get(f"{URL}/{old}", headers=p.headers("lena")).json()
    # The crux may name the complainant: it goes with the personal data (docs/privacy.md).
    assert body["crux"] == "(erased)" and body["has_contact"] is False
    (event,) = p.events("complaint.personal_data_purged")
    default_registry().validate(event)
    assert event.data == {**event.data, "complaint_id": old, "reason": "retention"}


def test_cli_purge_expired(tmp_path, monkeypatch):
    from alac_cli.main import app
    from alac_intake.app import build_runtime

    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    runtime = build_runtime(Settings(data_dir=tmp_path))
    runtime.migrate()
    runtime.close()
    result = CliRunner().invoke(app, ["intake", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "purged personal data of 0 complaints" in result.output


def test_a_coordinator_erases_personal_data_on_request(intake):
    p = intake
    contact = {"name": "Ерлан", "phone": "+7 701 111 22 33"}
    cid = p.intake.post(
        URL, json={"channel": "hotline", "crux": "a", "contact": contact}, headers=p.headers("vera")
    ).json()["id"]
    assert (
        p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("lena")).status_code
        == 403
    )
    # No other tenant has a coordinator among the demo users: an unknown id answers as
    # another tenant's would (404, the same body).
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (
        p.intake.post(
            f"{URL}/{unknown}/erase-personal-data", headers=p.headers("kazbek")
        ).status_code
        == 404
    )
    assert p.events("complaint.personal_data_purged") == []

    erased = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert erased.status_code == 200, erased.text
    assert p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("lena")).status_code == 404
    body = p.intake.get(f"{URL}/{cid}", headers=p.headers("lena")).json()
    assert body["crux"] == "(erased)" and body["has_contact"] is False
    (event,) = p.events("complaint.personal_data_purged")
    default_registry().validate(event)
    assert event.data["reason"] == "erasure_request"
    assert "Ерлан" not in event.to_json().decode()

    again = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert again.status_code == 409
    assert len(p.events("complaint.personal_data_purged")) == 1


def test_tenant_admin_sets_the_retention_period(sqlite_intake):
    p = sqlite_intake
    rt = p.runtime
    assert p.intake.get("/v1/retention-policy", headers=p.headers("tamara")).json() == {
        "personal_data_days": 3 * 365
    }
    assert (
        p.intake.put(
            "/v1/retention-policy", json={"personal_data_days": 5}, headers=p.headers("tamara")
        ).status_code
        == 422
    )
    assert (
        p.intake.put(
            "/v1/retention-policy", json={"personal_data_days": 90}, headers=p.headers("kazbek")
        ).status_code
        == 403
    )
    assert (
        p.intake.put(
            "/v1/retention-policy", json={"personal_data_days": 45}, headers=p.headers("tamara")
        ).status_code
        == 200
    )
    assert p.intake.get("/v1/retention-policy", headers=p.headers("tamara")).json() == {
        "personal_data_days": 45
    }
    cid = p.intake.post(
        URL,
        json={"channel": "hotline", "crux": "a", "contact": {"phone": "+7 701 111 22 33"}},
        headers=p.headers("vera"),
    ).json()["id"]
    with session_scope(rt.session_factory, all_tenants=True) as s:
        s.get(Complaint, cid).registered_at = utcnow() - timedelta(days=44)
    assert purge_expired(factory=rt.session_factory, outbox=rt.outbox, store=rt.attachments) == 0
    with session_scope(rt.session_factory, all_tenants=True) as s:
        s.get(Complaint, cid).registered_at = utcnow() - timedelta(days=46)
    assert purge_expired(factory=rt.session_factory, outbox=rt.outbox, store=rt.attachments) == 1
