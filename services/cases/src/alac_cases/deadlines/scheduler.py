"""The deadline scheduler: one pass emits `case.deadline_approaching` once when a deadline
enters its rule's warning window, and `case.deadline_missed` once when it passes unmet.

The `warned`/`missed` flags change in the same transaction as the outbox event, so a pass run
twice (or by two workers: rows are locked) emits nothing new. `now` is a parameter so tests
move time without sleeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.deadlines.models import Deadline, DeadlineRule
from alac_cases.deadlines.service import CUSTOM_WARN_DAYS
from alac_kernel.db import session_scope, utcnow
from alac_kernel.outbox import Outbox

# The widest warning window any rule may have (the rule API caps warn_days at 60), so the pass
# only looks at deadlines that can possibly be due for a warning.
MAX_WARN_DAYS = 60


@dataclass
class PassResult:
    approaching: int = 0
    missed: int = 0


def run_pass(
    *, session_factory: sessionmaker[Session], outbox: Outbox, now: datetime | None = None
) -> PassResult:
    now = now or utcnow()
    result = PassResult()
    with session_scope(session_factory, all_tenants=True) as session:
        rows = session.execute(
            select(Deadline, Case)
            .join(Case, Case.id == Deadline.case_id)
            .where(Deadline.met_at.is_(None), Case.status != "closed")
            .where(or_(Deadline.warned.is_(False), Deadline.missed.is_(False)))
            .where(Deadline.due_at <= now + timedelta(days=MAX_WARN_DAYS))
            .order_by(Deadline.due_at, Deadline.id)
            .with_for_update(skip_locked=True)
        ).all()
        warn_days = {
            (r.tenant_id, r.code): r.warn_days
            for r in session.execute(select(DeadlineRule)).scalars()
        }
        for deadline, case in rows:
            window = timedelta(
                days=warn_days.get((deadline.tenant_id, deadline.rule), CUSTOM_WARN_DAYS)
            )
            data = {
                "deadline_id": deadline.id,
                "rule": deadline.rule,
                "due_at": deadline.due_at.isoformat(),
            }
            if not deadline.warned and now >= deadline.due_at - window:
                deadline.warned = True
                if now < deadline.due_at:  # a deadline already missed is not "approaching"
                    emit(
                        session=session,
                        outbox=outbox,
                        case=case,
                        type="case.deadline_approaching",
                        data=data,
                    )
                    result.approaching += 1
            if not deadline.missed and now >= deadline.due_at:
                deadline.missed = True
                emit(
                    session=session,
                    outbox=outbox,
                    case=case,
                    type="case.deadline_missed",
                    data=data,
                )
                result.missed += 1
    return result
