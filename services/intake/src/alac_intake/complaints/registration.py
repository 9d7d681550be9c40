"""Registering a complaint in two steps, so that the write transaction holds only writes.

`prepare` does everything that reads or computes: the checks of codes and office, the tenant's
keys, the receipt (drawn and keyed-hashed), the pseudonym, the vault record and the text key
sealed, the `complaint.received` event built, checked against its contract and serialised,
and the duplicate lookup (index reads and text comparisons). It writes nothing, so the API
runs it on a read-only session (on SQLite a deferred BEGIN: no write lock, and under WAL it
neither waits for nor blocks writers).

`write` then, in the write transaction (SQLite: BEGIN IMMEDIATE, one writer at a time),
checks what may have changed since (the receipt locator still free, the tenant's data key
still the newest, complaints registered meanwhile for the duplicate flags: `newer_flags`) and
inserts the rows with SQLAlchemy Core: the complaint, its contact, its text key, its band
buckets, its flags and its outbox row. Under load the write lock was held for most of a
request's CPU time (issue #15); now it is held for a few small inserts.

Every channel registers through `register` (one session: bulk import, mail, referrals, the
public form) or through `prepare` and `write` with two sessions (the API).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from alac_intake import receipts
from alac_intake.complaints import access, events, record
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ComplaintAccepted, ComplaintCreate, ContactDetails
from alac_intake.database import kernel_tables
from alac_intake.duplicates import service as duplicates
from alac_intake.partners import hooks as partner_hooks
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_intake.vault.models import ComplaintTextKey, ContactRecord
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import new_id, utcnow
from alac_kernel.observability.metrics import VAULT_OPERATIONS
from alac_kernel.outbox import Outbox
from alac_kernel.tables import table_of

log = logging.getLogger("alac.intake")

_complaints = table_of(Complaint)
_contacts = table_of(ContactRecord)
_text_keys = table_of(ComplaintTextKey)
# Built once: a statement built per call costs its construction and its cache key each time.
_OUTBOX_MARK = select(func.max(kernel_tables.outbox.c.seq))
_LOCATOR_TAKEN = select(_complaints.c.id).where(
    _complaints.c.receipt_locator == bindparam("locator")
)


@dataclass
class Prepared:
    """A registration computed before its transaction: the rows to write and the answer."""

    principal: Principal
    complaint: Complaint  # transient: never added to a session, its row is inserted by Core
    row: dict[str, Any]
    code: str
    keys: vault.TenantKeys
    contact: dict[str, Any] | None
    contact_row: dict[str, Any] | None
    text_key: bytes
    text_key_row: dict[str, Any]
    outbox_row: dict[str, Any]
    lookup: duplicates.Lookup
    # The outbox's newest row when the lookup read; None when prepared in the write
    # transaction itself (`register`), where nothing can have changed meanwhile.
    outbox_mark: int | None


def prepare(
    session: Session,
    *,
    outbox: Outbox,
    principal: Principal,
    payload: ComplaintCreate,
    office: str,
    fields: dict[str, Any],
    contact: ContactDetails | None,
    tenant_keys: vault.TenantKeys,
    correlation_id: str | None,
    receipt: tuple[str, str, str] | None = None,
    registered_by: str | None = None,
    external_id: str | None = None,
    historical: bool = False,
    mark_outbox: bool = True,
) -> Prepared:
    """Everything but the writes, on `session` (read-only will do). The caller has checked
    the fields (`complaints.service.check_new`)."""
    tenant = principal.tenant
    now = utcnow()
    complaint_id = new_id()
    mark = _outbox_mark(session) if mark_outbox else None
    if receipt is None:
        code, locator, secret = receipts.draw()
        receipt_hash = receipts.keyed_hash(secret, tenant_keys.receipt[1], tenant_keys.receipt[0])
    else:
        code, locator, receipt_hash = receipt
    contact_data = contact.model_dump() if contact else None
    row: dict[str, Any] = {
        "id": complaint_id,
        "tenant_id": tenant,
        "office": office,
        "received_at": payload.received_at or now,
        "registered_at": now,
        "registered_by": registered_by or principal.subject,
        "anonymous": payload.anonymous,
        "status": "received",
        "receipt_locator": locator,
        "receipt_hash": receipt_hash,
        "external_id": external_id,
        "historical": historical,
        "version": 1,
        "complainant_pseudonym": vault.pseudonym_under(
            tenant_keys.pseudonym[1], contact=contact_data, fallback=complaint_id
        ),
        **record.flatten(fields),
    }
    complaint = Complaint(**row)
    row["completeness"] = complaint.completeness = record.completeness(complaint)
    contact_row = None
    if contact_data:
        contact_row = _contact_row(tenant_keys.data, tenant, complaint_id, contact_data, now)
    text_key, text_key_row = text_keys.new_text_key(
        tenant_keys.data, tenant=tenant, complaint_id=complaint_id
    )
    event = events.received(complaint, correlation_id, text_key=text_key)
    return Prepared(
        principal=principal,
        complaint=complaint,
        row=row,
        code=code,
        keys=tenant_keys,
        contact=contact_data,
        contact_row=contact_row,
        text_key=text_key,
        text_key_row=text_key_row,
        outbox_row=outbox.row(event),
        lookup=duplicates.find_possible_duplicates(session=session, complaint=complaint),
        outbox_mark=mark,
    )


def write(
    session: Session, prepared: Prepared, *, outbox: Outbox, keys: MasterKeys
) -> ComplaintAccepted:
    """The registration's writes in the caller's (write) transaction, after checking what may
    have changed since `prepare`."""
    p = prepared
    complaint = p.complaint
    connection = session.connection()
    _free_locator(connection, p)
    if p.outbox_mark is not None:  # prepared before this transaction
        _newest_data_key(session, p, keys)
        duplicates.newer_flags(
            session=session, complaint=complaint, lookup=p.lookup, mark=p.outbox_mark
        )
    connection.execute(insert(_complaints), p.row)
    if p.contact_row is not None:
        connection.execute(insert(_contacts), p.contact_row)
        VAULT_OPERATIONS.labels("intake", "store").inc()
    connection.execute(insert(_text_keys), p.text_key_row)
    duplicates.insert_bands(session=session, complaint=complaint)
    duplicates.store_flags(session=session, lookup=p.lookup)
    outbox.insert(session, p.outbox_row)
    if access.is_partner_system(p.principal):
        # The partner system learns of it by webhook and feed (partner.complaint_received),
        # and may read it later: only the complaints it submitted.
        partner_hooks.partner_submitted(session, outbox.contracts, p.principal, complaint)
    log.info(
        "complaint registered", extra={"complaint_id": complaint.id, "channel": complaint.channel}
    )
    return ComplaintAccepted(
        id=complaint.id,
        status=complaint.status,
        office=complaint.office,
        received_at=complaint.received_at,
        completeness=complaint.completeness,
        possible_duplicates=p.lookup.ids,
        receipt_code=p.code,
    )


def register(
    session: Session, *, outbox: Outbox, principal: Principal, payload: ComplaintCreate,
    office: str, fields: dict[str, Any], contact: ContactDetails | None, keys: MasterKeys,
    correlation_id: str | None, receipt: tuple[str, str, str] | None = None,
    registered_by: str | None = None, external_id: str | None = None, historical: bool = False,
) -> ComplaintAccepted:  # fmt: skip
    """`prepare` and `write` in one (write) transaction: the channels that register inside a
    transaction of their own (imports in batches, mail, referrals, the public form)."""
    tenant_keys = vault.ensure_registration_keys(
        session=session, keys=keys, tenant=principal.tenant
    )
    prepared = prepare(
        session, outbox=outbox, principal=principal, payload=payload, office=office,
        fields=fields, contact=contact, tenant_keys=tenant_keys,
        correlation_id=correlation_id, receipt=receipt, registered_by=registered_by,
        external_id=external_id, historical=historical, mark_outbox=False,
    )  # fmt: skip
    return write(session, prepared, outbox=outbox, keys=keys)


def _outbox_mark(session: Session) -> int:
    return session.connection().execute(_OUTBOX_MARK).scalar_one() or 0


def _contact_row(
    data_key: tuple[int, bytes], tenant: str, complaint_id: str, contact: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "tenant_id": tenant, "complaint_id": complaint_id, "key_version": data_key[0],
        "ciphertext": vault.sealed_contact(
            data_key, tenant=tenant, complaint_id=complaint_id, contact=contact
        ),
        "stored_at": now,
    }  # fmt: skip


def _free_locator(connection: Connection, p: Prepared) -> None:
    """Locators are unique across tenants and short (25 bits) so they can be read out on the
    phone; draw again on the rare clash instead of failing the complaint (a receipt the
    caller gave too)."""
    for _ in range(8):
        locator = p.row["receipt_locator"]
        taken = connection.execute(_LOCATOR_TAKEN, {"locator": locator}).first()
        if taken is None:
            return
        p.code, locator, secret = receipts.draw()
        version, key = p.keys.receipt
        p.row["receipt_locator"] = p.complaint.receipt_locator = locator
        p.row["receipt_hash"] = p.complaint.receipt_hash = receipts.keyed_hash(secret, key, version)
    raise RuntimeError("could not draw an unused receipt locator")


def _newest_data_key(session: Session, p: Prepared, keys: MasterKeys) -> None:
    """A key rotation (`alac intake rotate-keys`) may have made a newer data key since
    `prepare`: new writes use the newest at once, so seal again under it."""
    tenant = p.principal.tenant
    if vault.newest_data_key_version(session=session, tenant=tenant) == p.keys.data[0]:
        return
    data_key = vault.data_key(session=session, keys=keys, tenant=tenant)
    complaint_id = p.complaint.id
    if p.contact is not None:
        p.contact_row = _contact_row(data_key, tenant, complaint_id, p.contact, utcnow())
    # The text key itself stays (the event is sealed under it); only its wrapping changes.
    p.text_key_row = {
        **p.text_key_row,
        "key_version": data_key[0],
        "wrapped": text_keys.wrap(data_key, p.text_key, tenant=tenant, complaint_id=complaint_id),
    }
