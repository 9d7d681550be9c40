"""The audit trail: every read and change of a case file is recorded, and `alac cases
verify-audit` detects an entry edited or deleted directly in the database (SQLite and
PostgreSQL)."""

from __future__ import annotations

from cases_test_helpers import open_case, post
from sqlalchemy import text
from typer.testing import CliRunner

from alac_cli.main import app as alac


def verify(platform):
    url = platform.runtime("cases").database_url
    return CliRunner().invoke(alac, ["cases", "verify-audit", "--database-url", url])


def test_reads_and_changes_are_recorded_with_who_role_and_what(platform):
    case = open_case(platform, request_type="case")
    platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena"))
    post(
        platform,
        f"/v1/cases/{case['id']}/transitions",
        "lena",
        {"to_status": "assessment", "reason": "eligible", "version": 1},
    )
    post(platform, f"/v1/cases/{case['id']}/notes", "vera", {"text": "called back"})
    entries = platform.cases.get(
        f"/v1/cases/{case['id']}/audit", headers=platform.headers("kazbek")
    ).json()
    assert [(e["what"], e["actor_role"]) for e in entries] == [
        ("case.read", "lawyer"),
        ("case.transition", "lawyer"),
        ("note.write", "volunteer"),
    ]
    assert entries[1]["detail"] == {"to_status": "assessment", "outcome": None}
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    result = verify(platform)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def _tamper(platform, sql: str) -> None:
    with platform.runtime("cases").engine.begin() as conn:
        conn.execute(text(sql))


def _some_activity(platform) -> dict:
    case = open_case(platform, request_type="case")
    for _ in range(3):
        platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena"))
    return case


def test_verify_audit_detects_an_edited_entry(platform):
    _some_activity(platform)
    assert verify(platform).exit_code == 0
    _tamper(platform, "UPDATE case_audit_log SET actor = 'someone-else' WHERE seq = 2")
    result = verify(platform)
    assert result.exit_code == 1
    assert "seq=2: entry edited" in result.output


def test_verify_audit_detects_a_deleted_entry_in_the_middle_and_at_the_end(platform):
    _some_activity(platform)
    _tamper(platform, "DELETE FROM case_audit_log WHERE seq = 2")
    result = verify(platform)
    assert result.exit_code == 1
    assert "seq=2: entry missing" in result.output
    assert "seq=3: link to the previous entry broken" in result.output


def test_verify_audit_detects_the_newest_entry_deleted(platform):
    _some_activity(platform)
    _tamper(
        platform, "DELETE FROM case_audit_log WHERE seq = (SELECT max(seq) FROM case_audit_log)"
    )
    result = verify(platform)
    assert result.exit_code == 1
    assert "newest entries missing" in result.output


def test_verify_audit_detects_a_rehashed_edit_by_the_next_link(platform):
    # Someone who edits an entry and recomputes its own hash still breaks the next link.
    from alac_cases.audit.service import GENESIS  # noqa: F401 - the chain starts here

    _some_activity(platform)
    _tamper(
        platform,
        "UPDATE case_audit_log SET hash = (CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END) || substr(hash, 2) WHERE seq = 1",
    )
    result = verify(platform)
    assert result.exit_code == 1
    assert "seq=1: entry edited" in result.output
    assert "seq=2: link to the previous entry broken" in result.output
