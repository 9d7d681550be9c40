"""Staff names as a service keeps them from cases' staff.* events (alac_kernel.staff_names):
the newest event wins, a deactivation keeps the name, another tenant's names stay apart, and a
late event of an offboarded tenant adds nothing back."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import MetaData, func, select

from alac_kernel.db import make_engine, make_session_factory, session_scope
from alac_kernel.events import new_event
from alac_kernel.staff_names import (
    StaffName,
    add_staff_names_table,
    answers_naming,
    names_of,
    staff_consumer,
)
from alac_kernel.tables import add_kernel_tables
from alac_kernel.tenants.standing import apply_standing


def _staff(type_: str, version: int, tenant: str = "aktobe", who: str = "u-1", **data: object):
    return new_event(
        type=type_, source="/cases", subject=who, tenant=tenant, version=version,
        data={"staff_id": who, **data},
    )  # fmt: skip


def test_the_newest_staff_event_names_the_person_and_a_deactivation_keeps_it(
    tmp_path: Path,
) -> None:
    metadata = MetaData()
    tables = add_kernel_tables(metadata)
    names = add_staff_names_table(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    spec = staff_consumer("intake", tables, names)
    assert spec.group == "intake-staff" and spec.aggregates == ["staff"]
    assert set(spec.handlers) == {"staff.invited", "staff.moved", "staff.deactivated"}

    def apply(event) -> dict[str, StaffName]:  # type: ignore[no-untyped-def]
        with session_scope(factory, all_tenants=True) as session:
            spec.handlers[event.type](session, event)
        with session_scope(factory, all_tenants=True) as session:
            return names_of(session, names, "aktobe", ["u-1", "u-2", None, "web-form"])

    invited = _staff("staff.invited", 1, display_name="Aigerim Sadykova", position=None)
    assert apply(invited) == {"u-1": StaffName("Aigerim Sadykova", None)}
    moved = _staff("staff.moved", 2, display_name="Aigerim Sadykova", position="Lawyer")
    assert apply(moved) == {"u-1": StaffName("Aigerim Sadykova", "Lawyer")}
    # a late, older event changes nothing; a deactivation (no name) keeps the name
    assert apply(invited) == {"u-1": StaffName("Aigerim Sadykova", "Lawyer")}
    assert apply(_staff("staff.deactivated", 3)) == {"u-1": StaffName("Aigerim Sadykova", "Lawyer")}
    # the same subject in another tenant is another person, not shown for aktobe
    other = _staff("staff.invited", 1, tenant="khromtau", display_name="Someone Else")
    assert apply(other) == {"u-1": StaffName("Aigerim Sadykova", "Lawyer")}

    # an answer names the staff member of its field; an unknown id gets nulls
    class Answer(BaseModel):
        id: str
        handled_by: str | None
        handled_by_name: str | None = None
        handled_by_position: str | None = None

    class Row:
        def __init__(self, id: str, handled_by: str | None) -> None:
            self.id, self.handled_by = id, handled_by

    with session_scope(factory, all_tenants=True) as session:
        shown = answers_naming(
            session, names, "aktobe", "handled_by", Answer, [Row("a", "u-1"), Row("b", "u-9")]
        )
    assert [(a.id, a.handled_by_name, a.handled_by_position) for a in shown] == [
        ("a", "Aigerim Sadykova", "Lawyer"),
        ("b", None, None),
    ]

    # an offboarded tenant: a staff event that arrives late adds nothing back
    with session_scope(factory, all_tenants=True) as session:
        apply_standing(
            session, tables.standing,
            new_event(type="tenant.offboarded", source="/cases", subject="gone", tenant="gone",
                      version=3, data={"tenant_id": "gone"}),
        )  # fmt: skip
        spec.handlers["staff.invited"](
            session, _staff("staff.invited", 1, tenant="gone", display_name="Late Comer")
        )
    with session_scope(factory, all_tenants=True) as session:
        left = session.execute(
            select(func.count()).select_from(names).where(names.c.tenant_id == "gone")
        ).scalar_one()
    assert left == 0
