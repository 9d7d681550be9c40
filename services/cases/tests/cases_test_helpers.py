"""Shared helpers of the cases tests."""

from __future__ import annotations

from sqlalchemy import select

from alac_kernel.db import session_scope
from alac_kernel.events import Event

PROBLEM_JSON = "application/problem+json"


def open_case(platform, user: str = "vera", **fields) -> dict:
    """A complaint received by `user`'s office (its complaint.received on the bus), consumed
    by cases: the case opened for it (as the coordinator reads it)."""
    complaint_id = platform.receive_complaint(user, **fields).subject
    platform.pump()
    items = platform.cases.get(
        "/v1/cases", params={"limit": 200}, headers=platform.headers("kazbek")
    ).json()["items"]
    (case,) = [c for c in items if c["complaint_id"] == complaint_id]
    return case


def post(platform, path: str, user: str, body: dict, **headers):
    return platform.cases.post(path, json=body, headers={**platform.headers(user), **headers})


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def case_events(platform, case_id: str) -> list[Event]:
    runtime = platform.runtime("cases")
    table = runtime.tables.outbox
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(select(table.c.payload).order_by(table.c.seq)).scalars()
        events = [Event.from_json(p) for p in rows]
    return [e for e in events if e.subject == case_id]


def add_staff(platform, subject: str, office: str, role: str = "lawyer", admin: str = "tamara"):
    response = post(
        platform, "/v1/staff", admin, {"subject": subject, "office": office, "role": role}
    )
    assert response.status_code == 200, response.text
