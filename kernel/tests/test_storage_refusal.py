"""A full database answers 503 problem+json and keeps nothing of the refused write; once space
returns, writes succeed again. The full database is real: SQLite's max_page_count caps the file
(the same SQLITE_FULL a full disk gives; `make verify` fills a real tmpfs)."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from alac_kernel.problems import PROBLEM_JSON, install_problem_handlers


def _app(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'full.db'}")
    app = FastAPI()
    app.state.pages = 1_000

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {app.state.pages}")

    with engine.begin() as db:
        db.execute(text("create table receipt (id integer primary key, body blob)"))
    app.state.pages = 8
    engine.dispose()
    install_problem_handlers(app)

    @app.post("/receipts")
    def add() -> dict[str, int]:
        with engine.begin() as db:
            # two rows in one transaction: both or neither
            db.execute(text("insert into receipt (body) values (randomblob(3000))"))
            db.execute(text("insert into receipt (body) values (randomblob(3000))"))
        return {"ok": 1}

    return app, engine


def test_a_full_database_answers_503_keeps_nothing_half_written_and_recovers(tmp_path):
    app, engine = _app(tmp_path)
    client = TestClient(app, raise_server_exceptions=False)
    statuses = [client.post("/receipts").status_code for _ in range(6)]
    assert 200 in statuses and 503 in statuses and 500 not in statuses
    refused = client.post("/receipts")
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    assert refused.headers["Retry-After"] == "30"
    assert "no storage space" in refused.json()["detail"]
    with engine.connect() as db:
        rows = db.execute(text("select count(*) from receipt")).scalar_one()
    assert rows == 2 * statuses.count(200)  # pairs only: no half-written write

    app.state.pages = 10_000  # space returns (each new connection reads the cap)
    engine.dispose()
    assert client.post("/receipts").status_code == 200
    with engine.connect() as db:
        assert db.execute(text("pragma integrity_check")).scalar_one() == "ok"


def test_a_database_that_cannot_be_opened_answers_503_not_500(tmp_path):
    app = FastAPI()
    install_problem_handlers(app)
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")

    @app.get("/count")
    def count() -> int:
        with engine.connect() as db:
            return int(db.execute(text("select 1")).scalar_one())

    answer = TestClient(app, raise_server_exceptions=False).get("/count")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_full_disk_at_the_commit_after_the_route_answers_503_through_the_service_app(tmp_path):
    """A unit of work committed as a dependency closes (after the route returned) fails past
    FastAPI's handlers; the kernel's outer middleware still answers 503, not 500."""
    from collections.abc import Iterator

    from fastapi import Depends

    from alac_kernel.app import RequestContextMiddleware

    app, engine = _app(tmp_path)
    app.add_middleware(RequestContextMiddleware, service="test", max_body_bytes=1000)

    def unit_of_work() -> Iterator[None]:
        with engine.begin() as db:
            db.execute(text("insert into receipt (body) values (randomblob(3000))"))
            yield
            db.execute(text("insert into receipt (body) values (randomblob(3000))"))

    @app.post("/late")
    def late(_: None = Depends(unit_of_work)) -> dict[str, int]:
        return {"ok": 1}

    client = TestClient(app, raise_server_exceptions=False)
    statuses = [client.post("/late").status_code for _ in range(8)]
    assert 503 in statuses and 500 not in statuses
    refused = client.post("/late")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
