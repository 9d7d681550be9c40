"""The queues' indexes (migration 9f3a1c5e7b20): one head, and every case listing the staff
console makes answered by a range scan in index order, with the same cases in the same order.

The plans are SQLite's (the embedded default, where the page bench measures); the statements
are the ones the API really sent, captured on the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from cases_test_helpers import open_case
from sqlalchemy import event, text, update

from alac_cases.case.models import Case
from alac_kernel.db import session_scope, utcnow

QUEUE_INDEXES = {
    "ix_cases_queue_office_status",
    "ix_cases_queue_status",
    "ix_cases_queue_office",
    "ix_cases_queue_assignee",
    "ix_cases_queue_opened",
}


@contextmanager
def statements(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs from `cases` sent while the block runs."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM cases" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def plan(engine: Any, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    return " | ".join(r[3] for r in rows)


def test_cases_migrations_have_one_head_and_the_database_is_at_it(sqlite_platform):
    runtime = sqlite_platform.runtime()
    config = Config()
    config.set_main_option("script_location", str(runtime.migrations))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == heads[0]
        names = {r[1] for r in conn.execute(text("PRAGMA index_list(cases)"))}
    assert QUEUE_INDEXES <= names


def test_the_queues_read_an_index_in_order_and_keep_their_order(sqlite_platform):
    p = sqlite_platform
    runtime = p.runtime()
    opened = [open_case(p, request_type="case") for _ in range(4)]
    open_case(p, user="askar", request_type="case")  # another office's triage
    # Two cases opened at the same instant: the order falls back to the id.
    same = utcnow() - timedelta(days=2)
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        for case, at in zip(opened, [same, same, utcnow() - timedelta(days=5), utcnow()]):
            session.execute(update(Case).where(Case.id == case["id"]).values(opened_at=at))
    expected_triage = sorted(
        opened,
        key=lambda c: ({opened[0]["id"]: 1, opened[1]["id"]: 1, opened[2]["id"]: 0}.get(
            c["id"], 2), c["id"]),
    )  # fmt: skip
    lena = p.headers("lena")
    pages = {
        "triage of an office": ("/v1/triage", {"office": "almaty"}),
        "list of an office": ("/v1/cases", {"office": "almaty"}),
        "list by status": ("/v1/cases", {"office": "almaty", "status": "triage"}),
        "my cases": ("/v1/cases", {"assignee": "nobody-yet"}),
    }
    answers: dict[str, list[str]] = {}
    for name, (path, params) in pages.items():
        with statements(runtime.engine) as sent:
            answer = p.cases.get(path, params=params, headers=lena)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        answers[name] = [c["id"] for c in (body["items"] if isinstance(body, dict) else body)]
        listing = [s for s in sent if "ORDER BY" in s[0]]
        assert listing, name
        shown = plan(runtime.engine, *listing[-1])
        assert "ix_cases_queue_" in shown, (name, shown)
        assert "TEMP B-TREE" not in shown, (name, shown)  # no sort of every matching case
    assert answers["triage of an office"] == [c["id"] for c in expected_triage]
    assert answers["list of an office"] == [c["id"] for c in reversed(expected_triage)]
    assert answers["list by status"] == answers["list of an office"]
    assert answers["my cases"] == []
