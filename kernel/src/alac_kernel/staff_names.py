"""Staff names and positions as the cases service announces them (`staff.invited`,
`staff.moved`, `staff.deactivated`), kept by each service that shows people to users.

Cases owns the staff registry; the other services never read its database. A service whose
answers name a staff member (search's assignees, who recorded a complaint in intake, who
acknowledged an alert in analytics) keeps the names it was told in its own `staff_names`
table, filled by a consumer group of its own (`<service>-staff`, inbox: each event applied at
most once), and answers a name beside the id, so that no caller has to ask cases to show a
person. Each such service adds the table to its metadata (`add_staff_names_table`), creates
it in a migration of its own (`staff_name_columns`) and declares the consumer
(`staff_consumer`).

A deactivation keeps the name (it stays on what they did). The rows are the tenant's: they are
deleted with its other rows when it is offboarded, and a late staff event of an offboarded
tenant adds nothing back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, select
from sqlalchemy.orm import Session
from sqlalchemy.schema import SchemaItem

from alac_kernel.consumer import Handler
from alac_kernel.events import Event
from alac_kernel.runtime import ConsumerSpec
from alac_kernel.tables import KernelTables
from alac_kernel.tenants import OFFBOARDED
from alac_kernel.tenants.standing import standing_of

M = TypeVar("M", bound=BaseModel)
STAFF_EVENTS = ("staff.invited", "staff.moved", "staff.deactivated")
TABLE = "staff_names"


@dataclass(frozen=True)
class StaffName:
    name: str
    position: str | None


def staff_name_columns() -> list[SchemaItem]:
    """The table's columns, for the kernel's table and for each service's migration that
    creates it (one definition; a later change of shape needs a new migration in each)."""
    return [
        Column("tenant_id", String(64), nullable=False, index=True),
        Column("subject", String(128), nullable=False),  # the token's sub, staff_id of events
        Column("display_name", String(200), nullable=True),
        Column("position", String(200), nullable=True),
        # The staff event's aggregateversion: an older event arriving late changes nothing.
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("tenant_id", "subject"),
    ]


def add_staff_names_table(metadata: MetaData) -> Table:
    return Table(TABLE, metadata, *staff_name_columns())


def apply_staff_event(session: Session, names: Table, standing: Table, event: Event) -> None:
    """The newest name and position of the event's staff member, in the inbox's transaction."""
    tenant, subject = event.tenantid, event.data["staff_id"]
    if standing_of(session, standing, tenant) == OFFBOARDED:
        return
    key = (names.c.tenant_id == tenant) & (names.c.subject == subject)
    current = session.execute(select(names.c.version).where(key)).scalar_one_or_none()
    if current is not None and current >= event.aggregateversion:
        return
    # staff.deactivated carries no name: the one known stays.
    values: dict[str, object] = {
        k: event.data[k] for k in ("display_name", "position") if k in event.data
    }
    values["version"] = event.aggregateversion
    if current is None:
        session.execute(names.insert().values(tenant_id=tenant, subject=subject, **values))
    else:
        session.execute(names.update().where(key).values(**values))


def staff_consumer(service: str, tables: KernelTables, names: Table) -> ConsumerSpec:
    """The service's consumer group of staff events (`<service>-staff`)."""

    def handle(session: Session, event: Event) -> None:
        apply_staff_event(session, names, tables.standing, event)

    handler: Handler = handle
    return ConsumerSpec(
        group=f"{service}-staff",
        aggregates=["staff"],
        handlers=dict.fromkeys(STAFF_EVENTS, handler),
    )


def names_of(
    session: Session, names: Table, tenant: str, subjects: Iterable[str | None]
) -> dict[str, StaffName]:
    """subject -> name and position, for those of `tenant` whose name is known (an id of no
    staff event, e.g. `web-form`, is left out: the caller shows what it always showed)."""
    wanted = sorted({s for s in subjects if s})
    if not wanted:
        return {}
    rows = session.execute(
        select(names.c.subject, names.c.display_name, names.c.position).where(
            names.c.tenant_id == tenant, names.c.subject.in_(wanted)
        )
    )
    return {s: StaffName(name, position) for s, name, position in rows if name}


def named(field: str, subject: str | None, known: dict[str, StaffName]) -> dict[str, str | None]:
    """`<field>_name` and `<field>_position` of an answer, for the staff id in `<field>`
    (both null when the name is not known)."""
    person = known.get(subject or "")
    return {
        f"{field}_name": person.name if person else None,
        f"{field}_position": person.position if person else None,
    }


def answers_naming(
    session: Session, names: Table, tenant: str, field: str, model: type[M], rows: Sequence[object]
) -> list[M]:
    """`rows` (read by attribute) as `model` answers, the staff member in `field` named."""
    known = names_of(session, names, tenant, [getattr(row, field) for row in rows])
    return [
        model.model_validate(row, from_attributes=True).model_copy(
            update=named(field, getattr(row, field), known)
        )
        for row in rows
    ]
