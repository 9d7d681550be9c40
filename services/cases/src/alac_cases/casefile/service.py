"""The case file: the case and every part of it the caller's roles may read, in one
transaction.

The case page used to read the case, its history, consents, actions, deadlines, letters,
referrals, notes and the tenant's deadline rules with nine requests: nine token checks, nine
transactions each taking SQLite's write lock for its audit entry, nine commits. Here it is one
of each. The audit trail is unchanged: every part is recorded under the same `what` as its
own endpoint records it (case.read, case.history, consent.read, ...), in the same transaction
as the read and in one append to the hash chain, so the trail says what it said when the page
made nine requests. A part the caller's roles may not read is None (its endpoint answers 403),
and is neither read nor recorded. The deadline rules are the tenant's reference data, not the
case's: not audited, as `GET /v1/deadline-rules` is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from alac_cases.actions.service import actions_of_case, notes_of_case
from alac_cases.case.commands import RecordsReader, read_case
from alac_cases.case.models import Case
from alac_cases.consent.service import consents_of_case
from alac_cases.deadlines.service import deadlines_of_case, rules_of
from alac_cases.letters.service import letters_of_case
from alac_cases.permissions import MATRIX
from alac_cases.referrals.service import referrals_of_case
from alac_cases.workflow import service as workflow
from alac_kernel.auth.principal import Principal
from alac_kernel.runtime import ServiceRuntime


@dataclass(frozen=True)
class Part:
    permission: str  # the permission of the part's own endpoint
    what: str | None  # its audit entry (None: not case data)
    read: Callable[[Session, Case], Any]


def _records(reader: RecordsReader[Any]) -> Callable[[Session, Case], Any]:
    return lambda session, case: list(reader.rows(session=session, case_id=case.id))


PARTS: dict[str, tuple[str, RecordsReader[Any]]] = {
    "consents": ("consent.read", consents_of_case),
    "actions": ("action.read", actions_of_case),
    "deadlines": ("deadline.read", deadlines_of_case),
    "letters": ("letter.read", letters_of_case),
    "referrals": ("referral.read", referrals_of_case),
    "notes": ("note.read", notes_of_case),
}
FILE: dict[str, Part] = {
    "history": Part(
        "history.read", "case.history",
        lambda session, case: workflow.history_of(session=session, case=case),
    ),
    **{name: Part(permission, reader.what, _records(reader))
       for name, (permission, reader) in PARTS.items()},
    "deadline_rules": Part(
        "deadline_rule.read", None,
        lambda session, case: rules_of(session=session, tenant_id=case.tenant_id),
    ),
}  # fmt: skip


def case_file(
    runtime: ServiceRuntime, principal: Principal, *, case_id: str
) -> tuple[Case, dict[str, Any]]:
    """The case (NotFound outside the caller's scope, audited as case.read) and its parts by
    name, None for a part the caller may not read."""
    parts: dict[str, Any] = {}
    with read_case(runtime, principal, case_id=case_id, what="case.read") as c:
        for name, part in FILE.items():
            if not principal.has_any(*MATRIX[part.permission]):
                parts[name] = None
                continue
            parts[name] = part.read(c.session, c.case)
            if part.what is not None:
                c.also_read.append(part.what)  # recorded with case.read, in one append
    return c.case, parts
