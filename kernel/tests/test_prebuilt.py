"""alac_kernel.prebuilt on SQLite: the same rows written and read as through SQLAlchemy, the
statement's BEGIN and transaction kept, and SQLAlchemy's exceptions for the database's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from alac_kernel.db import UTCDateTime, make_engine
from alac_kernel.prebuilt import Prebuilt

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
_INSERT = Prebuilt(insert(things))
_RECENT = Prebuilt(
    select(things.c.id, things.c.n)
    .where(things.c.at >= bindparam("since"), things.c.n != bindparam("skip"))
    .order_by(things.c.n.desc())
    .limit(2)
)


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_rows_written_and_read_as_sqlalchemy_does(engine) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _INSERT.execute_many(
            conn, [{"id": f"t{n}", "n": n, "at": at + timedelta(minutes=n)} for n in range(5)]
        )
        found = _RECENT.execute(conn, {"since": at + timedelta(minutes=1), "skip": 4})
    assert [tuple(row) for row in found] == [("t3", 3), ("t2", 2)]
    with engine.connect() as conn:  # read back through SQLAlchemy: the same datetimes
        stored = conn.execute(select(things.c.at).where(things.c.id == "t2")).scalar_one()
    assert stored == at + timedelta(minutes=2)


def test_a_rolled_back_transaction_keeps_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 12, 7, tzinfo=UTC)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _INSERT.execute(conn, {"id": "a", "n": 1, "at": at})
        raise RuntimeError("after the insert")
    with engine.connect() as conn:
        assert conn.execute(select(things.c.id)).all() == []


def test_database_errors_are_sqlalchemys(engine) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 12, 7, tzinfo=UTC)
    with engine.begin() as conn:
        _INSERT.execute(conn, {"id": "a", "n": 1, "at": at})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _INSERT.execute(conn, {"id": "a", "n": 2, "at": at})
