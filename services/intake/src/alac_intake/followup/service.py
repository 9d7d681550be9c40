"""Anonymous follow-up with the receipt code alone, messages with the complainant, and the
complainant-facing status the case events set. The use cases (taking the runtime) own their
transactions; a receipt code is checked in one of its own first (`complaint_of_receipt`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alac_intake import receipts
from alac_intake.complaints import access, events, record
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.service import record_updated
from alac_intake.database import staff_names
from alac_intake.followup.models import ComplainantMessage
from alac_intake.followup.schemas import (
    ConsentOut,
    FollowUpStatus,
    MessageOut,
    StaffMessageOut,
    Unanswered,
)
from alac_intake.i18n import message
from alac_intake.partners.hooks import public_status_changed
from alac_intake.vault import service as vault
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import new_id, session_scope, utcnow
from alac_kernel.errors import Conflict, DomainError, InvalidFields, NotFound
from alac_kernel.events import ContractRegistry, Event
from alac_kernel.outbox import Outbox
from alac_kernel.staff_names import answers_naming
from alac_kernel.visibility import visibility

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

UNKNOWN_RECEIPT = "No complaint with this receipt code."
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
    if found is None or not found.receipt_hash:
        receipts.verify_keyed(secret, _DUMMY_HASH, _DUMMY_KEY)  # the work a wrong code costs
        return None
    stored = found.receipt_hash
    version = receipts.keyed_version(stored)
    if version is not None:
        ok = keys is not None and receipts.verify_keyed(
            secret, stored, _receipt_key(session, keys, found.tenant_id, version)
        )
    else:  # scrypt: issued before keyed hashes
        ok = receipts.verify(secret, stored)
    return found if ok else None


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
    posted = ComplainantMessage(
        id=new_id(),
        tenant_id=complaint.tenant_id,
        complaint_id=complaint.id,
        direction=direction,
        body=body,
        author=author,
        posted_at=utcnow(),
    )
    session.add(posted)
    complaint.version += 1
    session.flush()
    outbox.record(
        session,
        events.message_posted(
            complaint,
            message_id=posted.id,
            direction=direction,
            posted_at=posted.posted_at,
            correlation_id=correlation_id,
        ),  # fmt: skip
    )
    return posted


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


def apply_case_event(session: Session, event: Event, *, contracts: ContractRegistry) -> None:
    """case.opened / status_changed / closed -> the complainant-facing status (and its
    partner.case_status_changed for a partner's complaint, checked against `contracts`).
    Applied only when newer than what is stored (aggregate version), so a late or replayed
    event changes nothing."""
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
    public_status_changed(session, contracts, complaint, public_status(complaint))


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
    record_updated(
        session=session, outbox=outbox, complaint=complaint, changed=changed,
        correlation_id=correlation_id,
    )  # fmt: skip
    return [scope for scope in answers if record.CONSENT_FIELDS[scope] in changed]


# ------------------------------------------------------------------ the receipt code


class UnknownReceipt(NotFound):
    """A malformed, unknown or wrong receipt code: one answer for all, so none can be told
    apart (and an erased complaint's code answers the same)."""

    def __init__(self) -> None:
        DomainError.__init__(
            self, UNKNOWN_RECEIPT, errors=[{"field": "header.Receipt-Code", "reason": "unknown"}]
        )


def complaint_of_receipt(rt: IntakeRuntime, code: str, client: str) -> str:
    """The id of the receipt code's complaint, checked in a transaction of its own; each wrong
    code spends the client address's budget (limits.py), and over it even the right code is
    refused. The budget is counted in transactions of its own, before and after the look-up
    (on SQLite a write inside the look-up's transaction would wait for that transaction's own
    lock)."""
    failures = rt.limits.receipt_failures
    failures.refuse_if_blocked(client, "Too many wrong receipt codes; try again later.")
    with session_scope(rt.session_factory, all_tenants=True) as session:
        complaint = find_by_code(session=session, code=code, keys=rt.master_keys)
        found = complaint.id if complaint is not None else None
    if found is None:
        failures.record(client)
        raise UnknownReceipt()
    return found


def complaint_by_id(session: Session, complaint_id: str) -> Complaint:
    """The complaint a receipt code named a moment ago (erased meanwhile: UnknownReceipt)."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise UnknownReceipt()
    return complaint


def status(rt: IntakeRuntime, code: str, client: str) -> FollowUpStatus:
    """What the complainant sees of their complaint, and what the page needs to ask for
    consent (an anonymous complaint cannot give any)."""
    complaint_id = complaint_of_receipt(rt, code, client)
    with session_scope(rt.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        count = len(messages(session=session, complaint_id=complaint.id))
        return FollowUpStatus.model_validate(
            {
                "status": public_status(complaint), "received_at": complaint.received_at,
                "office": complaint.office, "messages": count, "anonymous": complaint.anonymous,
                "consent": consent_answers(complaint),
            }
        )  # fmt: skip


def consent_answers(complaint: Complaint) -> dict[str, bool | None]:
    return {scope: getattr(complaint, attr) for scope, attr in record.CONSENT_FIELDS.items()}


def thread(session: Session, complaint: Complaint) -> list[MessageOut]:
    return [
        MessageOut.model_validate(m, from_attributes=True)
        for m in messages(session=session, complaint_id=complaint.id)
    ]


def thread_by_receipt(rt: IntakeRuntime, code: str, client: str) -> list[MessageOut]:
    complaint_id = complaint_of_receipt(rt, code, client)
    with session_scope(rt.session_factory, all_tenants=True) as session:
        return thread(session, complaint_by_id(session, complaint_id))


def write_to_centre(
    rt: IntakeRuntime, code: str, client: str, body: str, correlation_id: str | None
) -> MessageOut:
    """The complainant's message, within the complaint's daily budget."""
    complaint_id = complaint_of_receipt(rt, code, client)
    rt.limits.complainant_messages.take(
        complaint_id, "Too many messages today; the centre will answer what you have sent."
    )
    with session_scope(rt.session_factory, all_tenants=True) as session:
        posted = post_message(
            session=session, outbox=rt.outbox, complaint=complaint_by_id(session, complaint_id),
            direction="from_complainant", body=body, author=None, correlation_id=correlation_id,
        )  # fmt: skip
        return MessageOut.model_validate(posted, from_attributes=True)


def staff_view(
    session: Session, complaint: Complaint, posted: list[ComplainantMessage]
) -> list[StaffMessageOut]:
    """The complaint's messages with their staff authors named."""
    return answers_naming(
        session, staff_names, complaint.tenant_id, "author", StaffMessageOut, posted
    )


def write_to_complainant(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, body: str,
    correlation_id: str | None,
) -> StaffMessageOut:  # fmt: skip
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.load_visible(session, principal, complaint_id)
        posted = post_message(
            session=session, outbox=rt.outbox, complaint=complaint,
            direction="to_complainant", body=body, author=principal.subject,
            correlation_id=correlation_id,
        )  # fmt: skip
        (answer,) = staff_view(session, complaint, [posted])
        return answer


def thread_for_staff(
    rt: IntakeRuntime, principal: Principal, complaint_id: str
) -> list[StaffMessageOut]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.load_visible(session, principal, complaint_id)
        return staff_view(session, complaint, messages(session=session, complaint_id=complaint.id))


def waiting_for_answer(
    rt: IntakeRuntime, principal: Principal, office: str | None, limit: int
) -> list[Unanswered]:
    """Complaints whose last message is the complainant's, the longest waiting first: of the
    office asked for, or of the caller's own office if they see only that one."""
    office = visibility(principal).office_filter(office)
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        return [
            Unanswered(
                complaint_id=c.id,
                office=c.office,
                channel=c.channel,
                area=c.area,
                received_at=c.received_at,
                since=since,
                waiting=waiting,
            )  # fmt: skip
            for c, since, waiting in unanswered(session=session, office=office, limit=limit)
        ]


def answer_consent(
    rt: IntakeRuntime, code: str, client: str, answers: dict[str, bool], *, lang: str,
    correlation_id: str | None,
) -> ConsentOut:  # fmt: skip
    """The complainant's yes or no per scope (give_consent). An anonymous or withdrawn
    complaint cannot give consent: Conflict, in plain words in the caller's language."""
    if not answers:
        raise InvalidFields(
            "No consent answer was sent.",
            errors=[{"field": "body", "reason": message("consent_answer_missing", lang)}],
        )
    complaint_id = complaint_of_receipt(rt, code, client)
    with session_scope(rt.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        refusal = (
            "anonymous_consent" if complaint.anonymous
            else "withdrawn_consent" if complaint.withdrawn_at is not None
            else None
        )  # fmt: skip
        if refusal is not None:
            reason = message(refusal, lang)
            raise Conflict(reason, errors=[{"field": "body", "reason": reason}])
        changed = give_consent(
            session=session, outbox=rt.outbox, complaint=complaint, answers=answers,
            correlation_id=correlation_id,
        )  # fmt: skip
        return ConsentOut.model_validate({**consent_answers(complaint), "changed": changed})
