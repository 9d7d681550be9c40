"""Outgoing reference numbers of letters of support: TK-2026/0001, per tenant and year.

One upsert adds one to the tenant's counter for the year and returns it, inside the letter's
own transaction: a concurrent letter waits on the counter's row until this one commits (so two
letters never share a number), and a letter whose transaction fails takes its number back with
it (so the numbers have no gaps)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alac_cases.letters.models import LetterSequence


def next_number(session: Session, *, tenant: str, year: int) -> int:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = LetterSequence.__table__
    statement = (
        module.insert(table)
        .values(tenant_id=tenant, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["tenant_id", "year"], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )
    return int(session.execute(statement).scalar_one())


def reference(tenant: str, year: int, number: int) -> str:
    return f"{tenant.upper()}-{year}/{number:04d}"
