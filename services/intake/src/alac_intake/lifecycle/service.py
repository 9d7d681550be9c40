"""Withdrawal of complaints and erasure of personal data (retention or request)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.attachments import service as attachments
from alac_intake.attachments.store import AttachmentStore
from alac_intake.complaints.models import Complaint
from alac_intake.lifecycle.models import RetentionPolicy
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_intake.vault.crypto import MasterKeys
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import new_event
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem

SOURCE = "/alac/intake"
DEFAULT_RETENTION_DAYS = 3 * 365
# What is left of the crux once the personal data is erased (the crux is required).
ERASED_TEXT = "(erased)"


def withdraw(
    *, session: Session, outbox: Outbox, complaint: Complaint, by: str, reason: str | None,
    correlation_id: str | None, keys: MasterKeys,
) -> Complaint:  # fmt: skip
    if complaint.withdrawn_at is not None:
        raise Problem(409, "The complaint is already withdrawn.")
    complaint.withdrawn_at, complaint.withdrawn_by = utcnow(), by
    complaint.status = "withdrawn"
    complaint.version += 1
    session.flush()
    from alac_intake.partners.hooks import public_status_changed

    public_status_changed(session, complaint, "withdrawn", outbox.contracts)
    data = {
        "complaint_id": complaint.id,
        "office": complaint.office,
        "withdrawn_at": complaint.withdrawn_at.isoformat(),
        "withdrawn_by": by,
    }
    if reason:
        # The complainant's own words: sealed like the crux (alac_kernel.sealed_text).
        data = text_keys.seal_event_data(
            session=session, keys=keys, tenant=complaint.tenant_id, complaint_id=complaint.id,
            data={**data, "reason": reason},
        )  # fmt: skip
    outbox.record(session, _event(complaint, "complaint.withdrawn", data, correlation_id))
    return complaint


def erase_personal_data(
    *,
    session: Session,
    outbox: Outbox,
    store: AttachmentStore,
    complaint: Complaint,
    reason: str,
    correlation_id: str | None,
) -> bool:
    """Delete the vault record, the attachments (files, names and their keys) and the key of
    the free text sealed in the complaint's events, so every copy of that text (on the bus, in
    backups, in a rebuild) is unreadable at once; intake's own copy of the text goes too. The
    non-personal record and the pseudonym stay. False when there was nothing to erase."""
    contact = vault.erase_contact(session=session, complaint_id=complaint.id)
    files = attachments.erase(session=session, store=store, complaint_id=complaint.id)
    text_key = text_keys.destroy(session=session, complaint_id=complaint.id)
    if not contact and not files and not text_key:
        return False
    complaint.crux = ERASED_TEXT
    complaint.help_requested = None
    complaint.prior_legal_help_quality = None
    complaint.personal_data_purged_at = utcnow()
    complaint.version += 1
    session.flush()
    data = {
        "complaint_id": complaint.id,
        "office": complaint.office,
        "purged_at": complaint.personal_data_purged_at.isoformat(),
        "reason": reason,
    }
    outbox.record(
        session, _event(complaint, "complaint.personal_data_purged", data, correlation_id)
    )
    return True


def retention_days(*, session: Session, tenant: str) -> int:
    policy = session.get(RetentionPolicy, tenant)
    return policy.personal_data_days if policy else DEFAULT_RETENTION_DAYS


def set_retention(*, session: Session, tenant: str, days: int) -> None:
    policy = session.get(RetentionPolicy, tenant)
    if policy is None:
        session.add(RetentionPolicy(tenant_id=tenant, personal_data_days=days))
    else:
        policy.personal_data_days = days


def purge_expired(
    *,
    factory: sessionmaker[Session],
    outbox: Outbox,
    store: AttachmentStore,
    now: datetime | None = None,
) -> int:
    """Erase personal data of every complaint older than its tenant's retention period, one
    complaint per transaction (each with its event), so an interrupted run resumes cleanly.

    The period runs from registration, except for historical complaints (bulk import with
    `--historical`): imported years late, they are as old as the day they were received."""
    now = now or utcnow()
    with session_scope(factory, all_tenants=True) as session:
        tenants = session.execute(select(Complaint.tenant_id).distinct()).scalars().all()
        limits = {
            t: now - timedelta(days=retention_days(session=session, tenant=t)) for t in tenants
        }
        due = [
            (cid, tenant)
            for cid, tenant, registered, received, historical in session.execute(
                select(
                    Complaint.id,
                    Complaint.tenant_id,
                    Complaint.registered_at,
                    Complaint.received_at,
                    Complaint.historical,
                ).where(Complaint.personal_data_purged_at.is_(None))
            ).all()
            if (received if historical else registered) < limits[tenant]
        ]
    purged = 0
    for cid, tenant in due:
        with session_scope(factory, tenant=tenant) as session:
            complaint = session.get(Complaint, cid)
            if complaint is not None and erase_personal_data(
                session=session,
                outbox=outbox,
                store=store,
                complaint=complaint,
                reason="retention",
                correlation_id=None,
            ):
                purged += 1
    return purged


def _event(complaint: Complaint, type_: str, data: dict, correlation_id: str | None):  # type: ignore[no-untyped-def]
    return new_event(
        type=type_, source=SOURCE, subject=complaint.id, tenant=complaint.tenant_id,
        version=complaint.version, data=data, correlation_id=correlation_id,
    )  # fmt: skip
