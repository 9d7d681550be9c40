"""Anonymous follow-up with the receipt code alone, and messages with the complainant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alac_intake import receipts
from alac_intake.complaints import record
from alac_intake.complaints.models import Complaint
from alac_intake.followup.models import ComplainantMessage
from alac_intake.vault import service as vault
from alac_intake.vault.crypto import MasterKeys
from alac_kernel.db import new_id, utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.outbox import Outbox

SOURCE = "/alac/intake"
# Case statuses (opaque codes from cases) as the complainant sees them.
PUBLIC_STATUS = {
    None: "received",
    "quick_answer": "under_review",
    "triage": "under_review",
    "assessment": "under_review",
    "awaiting_consent": "awaiting_your_consent",
    "in_action": "in_progress",
    "awaiting_response": "in_progress",
    "closed": "closed",
}
_DUMMY_KEY = bytes(32)
_DUMMY_HASH = receipts.keyed_hash("0" * 20, _DUMMY_KEY, 0)


def find_by_code(
    *, session: Session, code: str, keys: MasterKeys | None = None
) -> Complaint | None:
    """The complaint of a receipt code, or None for a malformed, unknown or wrong code.

    A keyed hash (receipts.keyed_hash) is checked under the tenant's receipt key, which needs
    intake's master `keys`; a receipt issued before keyed hashes is an scrypt hash, checked as
    before. An unknown code is checked against a dummy keyed hash, so that it takes about as
    long as a wrong one (microseconds either way)."""
    parts = receipts.split(code)
    locator, secret = parts if parts else ("", "0" * 20)
    found = None
    if parts:
        found = session.execute(
            select(Complaint).where(Complaint.receipt_locator == locator)
        ).scalar_one_or_none()
    stored = found.receipt_hash if found is not None and found.receipt_hash else None
    version = receipts.keyed_version(stored) if stored else None
    if stored is None:
        receipts.verify_keyed(secret, _DUMMY_HASH, _DUMMY_KEY)  # the work a wrong code costs
        ok = False
    elif version is not None:
        ok = keys is not None and receipts.verify_keyed(
            secret,
            stored,
            _receipt_key(session, keys, found.tenant_id, version),  # type: ignore[union-attr]
        )
    else:  # scrypt: issued before keyed hashes
        ok = receipts.verify(secret, stored)
    return found if (found is not None and ok) else None


def _receipt_key(session: Session, keys: MasterKeys, tenant: str, version: int) -> bytes:
    try:
        return vault.receipt_key(session=session, keys=keys, tenant=tenant, version=version)[1]
    except LookupError:  # the key is gone (the tenant was shredded): no code can match
        return _DUMMY_KEY


def public_status(complaint: Complaint) -> str:
    if complaint.withdrawn_at is not None:
        return "withdrawn"
    return PUBLIC_STATUS.get(complaint.case_status, "in_progress")


def post_message(
    *, session: Session, outbox: Outbox, complaint: Complaint, direction: str, body: str,
    author: str | None, correlation_id: str | None,
) -> ComplainantMessage:  # fmt: skip
    message = ComplainantMessage(
        id=new_id(),
        tenant_id=complaint.tenant_id,
        complaint_id=complaint.id,
        direction=direction,
        body=body,
        author=author,
        posted_at=utcnow(),
    )
    session.add(message)
    complaint.version += 1
    session.flush()
    outbox.record(
        session,
        new_event(
            type="complaint.message_posted",
            source=SOURCE,
            subject=complaint.id,
            tenant=complaint.tenant_id,
            version=complaint.version,
            data={
                "complaint_id": complaint.id,
                "office": complaint.office,
                "message_id": message.id,
                "direction": direction,
                "posted_at": message.posted_at.isoformat(),
            },
            correlation_id=correlation_id,
        ),
    )
    return message


def messages(*, session: Session, complaint_id: str) -> list[ComplainantMessage]:
    return list(
        session.execute(
            select(ComplainantMessage)
            .where(ComplainantMessage.complaint_id == complaint_id)
            .order_by(ComplainantMessage.posted_at, ComplainantMessage.id)
        ).scalars()
    )


def unanswered(
    *, session: Session, office: str | None, limit: int
) -> list[tuple[Complaint, datetime, int]]:
    """Complaints whose last message is the complainant's: (complaint, since, waiting), where
    `since` is the first message after the centre's last answer (the longest waiting first)
    and `waiting` how many messages came since then."""
    m = ComplainantMessage
    last_answer = (
        select(m.complaint_id, func.max(m.posted_at).label("answered_at"))
        .where(m.direction == "to_complainant")
        .group_by(m.complaint_id)
        .subquery()
    )
    waiting = (
        select(
            m.complaint_id,
            func.min(m.posted_at).label("since"),
            func.count(m.id).label("waiting"),
        )
        .outerjoin(last_answer, last_answer.c.complaint_id == m.complaint_id)
        .where(m.direction == "from_complainant")
        .where(or_(last_answer.c.answered_at.is_(None), m.posted_at > last_answer.c.answered_at))
        .group_by(m.complaint_id)
        .subquery()
    )
    query = (
        select(Complaint, waiting.c.since, waiting.c.waiting)
        .join(waiting, waiting.c.complaint_id == Complaint.id)
        .order_by(waiting.c.since, Complaint.id)
        .limit(limit)
    )
    if office:
        query = query.where(Complaint.office == office)
    return [(c, since, int(n)) for c, since, n in session.execute(query).all()]


def apply_case_event(session: Session, event: Event) -> None:
    """case.opened / status_changed / closed -> the complainant-facing status. Applied only when
    newer than what is stored (aggregate version), so a late or replayed event changes nothing."""
    complaint = session.execute(
        select(Complaint).where(Complaint.id == event.data.get("complaint_id"))
    ).scalar_one_or_none()
    if complaint is None or event.aggregateversion <= complaint.case_version:
        return
    if event.type == "case.opened":
        status = event.data.get("status") or "triage"
    elif event.type == "case.status_changed":
        status = event.data["to_status"]
    else:
        status = "closed"
    complaint.case_status = status
    complaint.case_version = event.aggregateversion
    from alac_intake.partners.hooks import public_status_changed

    public_status_changed(session, complaint, public_status(complaint))


def give_consent(
    *, session: Session, outbox: Outbox, complaint: Complaint, answers: dict[str, bool],
    correlation_id: str | None,
) -> list[str]:  # fmt: skip
    """The complainant's yes or no per consent scope, from the follow-up page. Stored on the
    complaint like a volunteer's edit and announced as `complaint.updated` with the consent
    fields in `changed`: cases turns that into a new consent version of the case (how_given
    `intake_record`). Returns the scopes that changed; an answer equal
    to what is stored changes nothing and emits nothing."""
    changed: dict[str, object] = {}
    for scope, given in answers.items():
        attr = record.CONSENT_FIELDS[scope]
        if getattr(complaint, attr) is not given:
            setattr(complaint, attr, given)
            changed[attr] = given
    if not changed:
        return []
    # Imported here: the complaints module imports this one for the follow-up status.
    from alac_intake.complaints.service import record_updated

    record_updated(
        session=session, outbox=outbox, complaint=complaint, changed=changed,
        correlation_id=correlation_id,
    )  # fmt: skip
    return [scope for scope in answers if record.CONSENT_FIELDS[scope] in changed]
