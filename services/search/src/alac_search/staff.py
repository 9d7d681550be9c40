"""Staff names, as the cases service announces them (staff.invited, staff.moved,
staff.deactivated): search answers carry the assignee's name beside the id, so no caller has
to ask cases' staff registry to show a person."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_kernel.events import Event
from alac_search.models import StaffName

STAFF_EVENTS = ("staff.invited", "staff.moved", "staff.deactivated")


def apply_staff_event(session: Session, event: Event) -> None:
    """The newest name of the staff member (in the inbox's transaction: at most once); a
    deactivation keeps it."""
    row = session.get(StaffName, (event.tenantid, event.data["staff_id"]))
    if row is not None and row.version >= event.aggregateversion:
        return
    if row is None:
        row = StaffName(tenant_id=event.tenantid, subject=event.data["staff_id"], version=0)
        session.add(row)
    if "display_name" in event.data:
        row.display_name = event.data["display_name"]
    row.version = event.aggregateversion


def names_of(session: Session, subjects: Iterable[str]) -> dict[str, str]:
    """subject -> display name, for the subjects of the session's tenant that have one."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffName.subject, StaffName.display_name).where(StaffName.subject.in_(wanted))
    )
    return {subject: name for subject, name in rows if name}
