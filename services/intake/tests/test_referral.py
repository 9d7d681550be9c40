"""Consuming case.referred from the real bus: the receiving tenant gets a `referral`
complaint with only what `shared` allows, and the contact (re-encrypted under its own key)
only when share_contact is true."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from alac_intake.vault.models import ContactRecord
from alac_kernel.db import new_id, session_scope

CRUX = "Директор школы требует деньги за аттестат."
HELP = "Совет, куда жаловаться."


def _refer(p, complaint_id: str, shared: dict) -> str:
    """A case.referred on the bus, as cases sends it, applied by intake's consumer."""
    referral_id = new_id()
    p.case_event(
        "case.referred", new_id(), complaint_id, version=7, to_tenant="ndi",
        referral_id=referral_id, consent_version=2, referred_at="2026-11-20T10:00:00+05:00",
        shared=shared,
    )  # fmt: skip
    return referral_id


def _ndi_complaints(p):
    with p.runtime.engine.connect() as conn:
        return (
            conn.execute(text("select * from complaints where tenant_id = 'ndi'")).mappings().all()
        )


@pytest.mark.parametrize("share_contact", [True, False], ids=["with-contact", "without-contact"])
def test_referral_creates_complaint_in_receiving_tenant_with_only_shared_fields(
    intake, share_contact
):
    p = intake
    source = p.intake.post(
        "/v1/complaints",
        json={"channel": "hotline", "crux": CRUX, "help_requested": HELP, "area": "education",
              "complainant": {"sex": "female", "region": "almaty_city"},
              "contact": {"name": "Айгуль", "phone": "+7 701 555 44 33"}},
        headers=p.headers("vera"),
    )  # fmt: skip
    assert source.status_code == 201, source.text
    shared = {
        "area": "education",
        "channel": "hotline",
        "anonymous": False,
        "share_contact": share_contact,
    }  # fmt: skip  (no crux, no help_requested)
    _refer(p, source.json()["id"], shared)

    (row,) = _ndi_complaints(p)
    assert (row["channel"], row["office"], row["area"]) == ("referral", "shymkent", "education")
    # Not shared: neither the text, nor what help was asked, nor the profile.
    assert CRUX not in row["crux"] and row["help_requested"] is None
    assert row["sex"] is None and row["region"] is None
    body = p.intake.get(f"/v1/complaints/{row['id']}", headers=p.headers("dana")).json()
    assert body["has_contact"] is share_contact and body["crux"] == row["crux"]
    contact = p.intake.get(f"/v1/complaints/{row['id']}/contact", headers=p.headers("dana"))
    if share_contact:
        assert contact.json()["phone"] == "+7 701 555 44 33"
        with session_scope(p.runtime.session_factory, tenant="ndi") as s:
            sealed = s.execute(
                select(ContactRecord).where(ContactRecord.complaint_id == row["id"])
            ).scalar_one()
            assert sealed.tenant_id == "ndi" and "555" not in sealed.ciphertext
    else:
        # No contact was shared, so the receiving centre has none: 404, as for any complaint
        # without contact details (vault/service.py contact_of).
        assert contact.status_code == 404 and "555 44 33" not in contact.text
    # The sender's staff cannot see the new complaint: another tenant's id is a 404.
    assert (
        p.intake.get(f"/v1/complaints/{row['id']}", headers=p.headers("kazbek")).status_code == 404
    )


def test_shared_crux_and_help_arrive_and_a_redelivery_creates_nothing(sqlite_intake):
    p = sqlite_intake
    src = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": CRUX}, headers=p.headers("vera")
    )
    shared = {"crux": CRUX, "help_requested": HELP, "area": "no_such_area", "channel": "hotline",
              "anonymous": True, "share_contact": True}  # fmt: skip
    _refer(p, src.json()["id"], shared)
    (row,) = _ndi_complaints(p)
    assert (row["crux"], row["help_requested"], row["anonymous"]) == (CRUX, HELP, True)
    assert row["area"] is None  # a code the receiving centre does not know is dropped
    assert (
        p.intake.get(f"/v1/complaints/{row['id']}", headers=p.headers("dana")).json()["has_contact"]
        is False
    )
    p.pump()
    assert len(_ndi_complaints(p)) == 1
