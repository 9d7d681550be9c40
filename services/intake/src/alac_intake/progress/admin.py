"""The tenant admin's view of the progress e-mails that could not be delivered, and "retry
now". Use cases taking the runtime and the caller; they raise alac_kernel.errors.

Privacy (DOMAIN.md, "Privacy"; the roles table): a tenant admin runs users, offices and
settings, and is not among the roles that read complainants' contact details (api.ContactReader:
lawyers and coordinators). So these answers name the complaint (its id and short reference),
never the address, and an address the mail server quoted in its answer is masked before the
answer leaves intake: the address stays in the vault, where only those roles reach it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_intake.progress.models import complainant_mail
from alac_intake.progress.rules import may_write_to
from alac_kernel.auth.principal import Principal
from alac_kernel.cursors import CursorError
from alac_kernel.db import session_scope
from alac_kernel.delivery import FAILED, PENDING, SENDING, SENT, DeliveryOutbox, not_retryable
from alac_kernel.errors import Conflict, InvalidFields, NotFound

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

CURSOR_KIND = "complainant-mail:failed"
# Anything shaped like an address (local@domain, as servers quote it: <a@b>, "a@b", a@b:).
ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")

SUPERSEDED = {
    "en": "A later e-mail to this complainant was sent or is waiting: it already says there "
    "is news.",
    "ru": "Этому заявителю уже отправлено или ждёт отправки более позднее письмо: в нём уже "
    "сказано, что есть новости.",
    "kk": "Бұл өтініш берушіге кейінгі хат жіберілді немесе жіберілуін күтуде: онда жаңалық бар "
    "екені айтылған.",
}
NOT_TO_BE_WRITTEN_TO = {
    "en": "This complainant may no longer be written to (withdrawn, asked not to be contacted, "
    "or their personal data erased).",
    "ru": "Этому заявителю больше нельзя писать (обращение отозвано, он просил не связываться с "
    "ним или его персональные данные удалены).",
    "kk": "Бұл өтініш берушіге енді жазуға болмайды (өтініш қайтарылды, хабарласпауды сұрады "
    "немесе дербес деректері жойылды).",
}


def masked(error: str | None) -> str | None:
    """The server's answer without any address in it (see the module's note)."""
    return ADDRESS.sub("[address]", error) if error else error


def _superseded(session: Session, row: Mapping[Any, Any]) -> bool:
    """A later e-mail to the same complainant was sent, or one is waiting or being sent:
    sending this one now would say "there is news" twice."""
    t = complainant_mail
    later = select(t.c.id).where(
        t.c.recipient == row["recipient"],
        t.c.id != row["id"],
        (t.c.state.in_((PENDING, SENDING))) | ((t.c.state == SENT) & (t.c.seq > row["seq"])),
    )
    return session.execute(later.limit(1)).first() is not None


def _writable(session: Session, complaint_ids: set[str]) -> set[str]:
    """Those of `complaint_ids` whose complainant may still be written to (rules.may_write_to)."""
    found = session.execute(select(Complaint).where(Complaint.id.in_(complaint_ids))).scalars()
    return {complaint.id for complaint in found if may_write_to(complaint)}


def _item(session: Session, row: Mapping[str, Any], writable: set[str]) -> dict[str, Any]:
    retryable = (
        not_retryable(row) is None
        and row["recipient"] in writable
        and not _superseded(session, row)
    )
    return {
        "id": row["id"],
        "complaint_id": row["recipient"],
        "complaint_reference": row["recipient"][:8],
        "event_type": row["event_type"],
        "state": row["state"],
        "attempts": row["attempts"],
        "last_error": masked(row["last_error"]),
        "created_at": row["created_at"],
        "next_attempt_at": row["next_attempt_at"],
        "retryable": retryable,
    }


def failed_mail(
    rt: IntakeRuntime, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's tenant's complainant e-mails that failed (given up, or failed at their
    last attempt and waiting for the next), newest first, and the next page's cursor."""
    before = None
    if cursor is not None:
        try:
            (before,) = rt.cursors.decode(CURSOR_KIND, cursor, [(int,)])
        except CursorError as exc:
            raise InvalidFields.one("query.cursor", str(exc)) from None
    outbox = rt.progress.outbox
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        rows = outbox.listing(
            session, tenant_id=principal.tenant, status=FAILED, limit=limit + 1,
            before_seq=before,
        )  # fmt: skip
        page = rows[:limit]
        writable = _writable(session, {row["recipient"] for row in page})
        items = [_item(session, row, writable) for row in page]
    following = rt.cursors.encode(CURSOR_KIND, [page[-1]["seq"]]) if len(rows) > limit else None
    return items, following


def retry(rt: IntakeRuntime, principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Send a failed e-mail again at the relay's next pass (or bring a waiting one forward).
    NotFound for a missing or another tenant's; Conflict when it may not be sent now."""
    outbox: DeliveryOutbox = rt.progress.outbox
    t = complainant_mail
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        row = session.execute(
            select(t).where(t.c.id == delivery_id, t.c.tenant_id == principal.tenant)
        ).mappings().first()  # fmt: skip
        if row is None:
            raise NotFound("E-mail")
        if _superseded(session, row):
            raise Conflict(SUPERSEDED["en"], translations=SUPERSEDED)
        writable = _writable(session, {row["recipient"]})
        if not writable:
            raise Conflict(NOT_TO_BE_WRITTEN_TO["en"], translations=NOT_TO_BE_WRITTEN_TO)
        retried = outbox.retry(session, tenant_id=principal.tenant, delivery_id=delivery_id)
        return _item(session, retried, writable)
