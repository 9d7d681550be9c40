"""Receipt secrets are stored as keyed hashes (HMAC under the tenant's receipt key, wrapped by
the master key); receipts stored as scrypt hashes before the change still follow up."""

from __future__ import annotations

from sqlalchemy import select, update

from alac_intake import receipts
from alac_intake.complaints.models import Complaint
from alac_intake.vault.models import TenantKey
from alac_kernel.db import session_scope

URL = "/v1/complaints"
ANON = {"channel": "web_form", "crux": "Судья намекнул на «благодарность».", "anonymous": True}
STATUS = "/v1/follow-up/status"


def submit(p) -> tuple[str, str]:
    r = p.intake.post(URL, json=ANON, headers=p.headers("vera"))
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["receipt_code"]


def test_new_receipts_are_keyed_hashes_under_a_wrapped_tenant_key(sqlite_intake):
    p = sqlite_intake
    cid, code = submit(p)
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        stored = session.execute(
            select(Complaint.receipt_hash).where(Complaint.id == cid)
        ).scalar_one()
        key = session.execute(select(TenantKey).where(TenantKey.purpose == "receipt")).scalar_one()
    assert stored.startswith("hmac-sha256$1$") and receipts.keyed_version(stored) == 1
    # The key in the database is wrapped: its ciphertext is not the HMAC key.
    assert key.version == 1 and key.master_key_id == rt.master_keys.current_id
    assert p.intake.get(STATUS, headers={"Receipt-Code": code}).status_code == 200
    _, secret = receipts.split(code)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert p.intake.get(STATUS, headers={"Receipt-Code": wrong}).status_code == 404
    assert secret not in stored


def test_a_receipt_stored_as_scrypt_before_the_change_still_follows_up(sqlite_intake):
    p = sqlite_intake
    cid, _ = submit(p)
    # A receipt as intake issued them before keyed hashes: its own locator and scrypt hash.
    old_code, old_locator, old_hash = receipts.issue()
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        session.execute(
            update(Complaint)
            .where(Complaint.id == cid)
            .values(receipt_locator=old_locator, receipt_hash=old_hash)
        )
    ok = p.intake.get(STATUS, headers={"Receipt-Code": old_code})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "received"
    wrong = old_code[:-1] + ("0" if old_code[-1] != "0" else "1")
    assert p.intake.get(STATUS, headers={"Receipt-Code": wrong}).status_code == 404


def test_a_keyed_receipt_does_not_verify_with_another_tenants_key(sqlite_intake):
    p = sqlite_intake
    _, code = submit(p)
    _, secret = receipts.split(code)
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as session:
        stored = session.execute(select(Complaint.receipt_hash)).scalar_one()
    assert not receipts.verify_keyed(secret, stored, bytes(32))
    assert not receipts.verify(secret, "scrypt$2$8$1$AAAA$AAAA")
