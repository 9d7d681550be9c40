"""Withdrawal of complaints and erasure of personal data (retention or request). The use
cases (taking the runtime, and purge_expired) own their transactions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.attachments import service as attachments
from alac_intake.attachments.store import AttachmentStore
from alac_intake.complaints import access, events
from alac_intake.complaints.models import Complaint
from alac_intake.followup.service import complaint_by_id, complaint_of_receipt
from alac_intake.lifecycle.models import RetentionPolicy
from alac_intake.partners.hooks import public_status_changed
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import session_scope, utcnow
from alac_kernel.errors import Conflict
from alac_kernel.outbox import Outbox

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

DEFAULT_RETENTION_DAYS = 3 * 365
# What is left of the crux once the personal data is erased (the crux is required).
ERASED_TEXT = "(erased)"


def withdraw(
    *, session: Session, outbox: Outbox, complaint: Complaint, by: str, reason: str | None,
    correlation_id: str | None, keys: MasterKeys,
) -> Complaint:  # fmt: skip
    if complaint.withdrawn_at is not None:
        raise Conflict("The complaint is already withdrawn.")
    complaint.withdrawn_at, complaint.withdrawn_by = utcnow(), by
    complaint.status = "withdrawn"
    complaint.version += 1
    session.flush()
    public_status_changed(session, outbox.contracts, complaint, "withdrawn")
    outbox.record(
        session,
        events.withdrawn(complaint, reason, correlation_id, session=session, keys=keys),
    )
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
    outbox.record(session, events.personal_data_purged(complaint, reason, correlation_id))
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


# ------------------------------------------------------------------ use cases


def withdraw_by_complainant(
    rt: IntakeRuntime, code: str, client: str, reason: str | None, correlation_id: str | None
) -> Complaint:
    complaint_id = complaint_of_receipt(rt, code, client)
    with session_scope(rt.session_factory, all_tenants=True) as session:
        return withdraw(
            session=session, outbox=rt.outbox, complaint=complaint_by_id(session, complaint_id),
            by="complainant", reason=reason, correlation_id=correlation_id, keys=rt.master_keys,
        )  # fmt: skip


def withdraw_by_coordinator(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, reason: str | None,
    correlation_id: str | None,
) -> Complaint:  # fmt: skip
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.get_complaint(session=session, complaint_id=complaint_id)
        return withdraw(
            session=session, outbox=rt.outbox, complaint=complaint, by="coordinator",
            reason=reason, correlation_id=correlation_id, keys=rt.master_keys,
        )  # fmt: skip


def erase_on_request(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, correlation_id: str | None
) -> Complaint:
    """The complainant asked to be forgotten (erase_personal_data); Conflict when nothing is
    left to erase."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.get_complaint(session=session, complaint_id=complaint_id)
        erased = erase_personal_data(
            session=session, outbox=rt.outbox, store=rt.attachments, complaint=complaint,
            reason="erasure_request", correlation_id=correlation_id,
        )  # fmt: skip
        if not erased:
            raise Conflict("This complaint holds no personal data to erase.")
        return complaint


def read_retention(rt: IntakeRuntime, principal: Principal) -> int:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        return retention_days(session=session, tenant=principal.tenant)


def change_retention(rt: IntakeRuntime, principal: Principal, days: int) -> None:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        set_retention(session=session, tenant=principal.tenant, days=days)
