"""The events of the staff registry (staff.invited, staff.moved, staff.deactivated), with the
kernel's AggregateEvents: the staff member's subject is the aggregate's id, their version the
aggregate version."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alac_cases import SERVICE
from alac_cases.staff.models import StaffMember
from alac_kernel.events import AggregateEvents
from alac_kernel.outbox import Outbox

STAFF_EVENTS = AggregateEvents(SERVICE, "staff")


def emit(
    *, session: Session, outbox: Outbox, member: StaffMember, type: str, data: dict[str, Any]
) -> None:
    """A change of `member`: the version moves on and the event goes into the outbox of the
    caller's transaction."""
    member.version = (member.version or 0) + 1
    session.flush()
    event = STAFF_EVENTS.new(
        type,
        subject=member.subject,
        tenant=member.tenant_id,
        version=member.version,
        data={"staff_id": member.subject, **data},
    )
    outbox.record(session, event)
