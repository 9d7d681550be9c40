"""`alac intake import-file`: historical complaints from CSV and XLSX. Dry run reports every bad
row with line and reason and writes nothing; a real run is all-or-nothing and idempotent by
external_id; each created complaint's event goes through the outbox."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select, text
from typer.testing import CliRunner

from alac_intake.channels.bulk import import_file
from alac_kernel.db import session_scope
from alac_kernel.events import Event
from alac_kernel.settings import Settings

HEADER = ["external_id", "received_at", "channel", "crux", "area", "complainant.sex",
          "contact.phone", "anonymous", "documents_requested", "years_pending"]  # fmt: skip
GOOD = [
    ["H-1", "2019-03-04T10:00:00+06:00", "hotline", "Взятка за справку", "education", "female",
     "+7 701 111 22 33", "no", "identity_document;court_decision", "2"],
    ["H-2", "2019-03-05", "walk_in", "Суд затягивает", "", "", "", "yes", "", ""],
]  # fmt: skip


def _csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _xlsx(path: Path, rows) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _run(p, path: Path, dry_run=False):
    rt = p.runtime("intake")
    return import_file(
        factory=rt.session_factory, outbox=rt.outbox, keys=rt.master_keys, path=path,
        tenant="tk", office="almaty", dry_run=dry_run,
    )  # fmt: skip


def _count(p, table="complaints") -> int:
    with p.runtime("intake").engine.connect() as conn:
        return conn.execute(text(f"select count(*) from {table}")).scalar_one()


def _received(p) -> list[Event]:
    rt = p.runtime("intake")
    with session_scope(rt.session_factory, all_tenants=True) as s:
        rows = s.execute(select(rt.tables.outbox.c.payload)).scalars()
        return [e for e in (Event.from_json(r) for r in rows) if e.type == "complaint.received"]


def test_csv_import_all_rows_with_events_and_idempotent(platform, tmp_path):
    p = platform
    path = _csv(tmp_path / "old.csv", GOOD)
    report = _run(p, path)
    assert report.bad == [] and len(report.created) == 2
    with p.runtime("intake").engine.connect() as conn:
        rows = conn.execute(text("select * from complaints order by external_id")).mappings().all()
    assert [r["external_id"] for r in rows] == ["file:H-1", "file:H-2"]
    assert str(rows[0]["received_at"]).startswith("2019-03-04 04:00")  # +06:00 -> UTC
    assert str(rows[1]["received_at"]).startswith("2019-03-04 19:00")  # date in +05:00
    assert rows[0]["sex"] == "female" and rows[0]["years_pending"] == 2
    assert rows[0]["documents_requested"] in (
        ["identity_document", "court_decision"],
        '["identity_document", "court_decision"]',
    )
    assert rows[1]["anonymous"] in (True, 1)
    assert _count(p, "complaint_contacts") == 1  # the phone went to the vault
    events = _received(p)
    assert sorted(e.data["complaint_id"] for e in events) == sorted(report.created)
    assert all("111 22 33" not in str(e.data) and "+7 701" not in str(e.data) for e in events)

    again = _run(p, path)
    assert again.created == [] and sorted(again.already) == ["H-1", "H-2"]
    assert _count(p) == 2 and len(_received(p)) == 2


def test_dry_run_reports_every_bad_row_and_writes_nothing(sqlite_platform, tmp_path):
    p = sqlite_platform
    bad = [
        GOOD[0],
        ["H-3", "", "hotline", "x", "", "", "", "", "", ""],  # line 3: no received_at
        ["H-4", "2019-01-01", "pigeon", "x", "", "", "", "", "", ""],  # line 4: unknown channel
        ["H-1", "2019-01-01", "hotline", "", "", "", "", "", "", ""],  # line 5: dup id, no crux
        ["H-6", "2099-01-01", "hotline", "x", "", "", "", "", "", "many"],  # future, not an int
        ["H-7", "2019-01-01", "hotline", "x", "", "", "+7 701", "yes", "", ""],  # anon + contact
    ]
    path = _csv(tmp_path / "bad.csv", bad)
    report = _run(p, path, dry_run=True)
    got = {(line, name) for line, name, _ in report.bad}
    assert got == {
        (3, "received_at"), (4, "channel"), (5, "external_id"), (5, "crux"),
        (6, "received_at"), (6, "years_pending"), (7, "contact"),
    }  # fmt: skip
    assert all(reason for _, _, reason in report.bad)
    assert _count(p) == 0
    # A real run of the same file: all or nothing.
    assert _run(p, path).created == [] and _count(p) == 0 and _received(p) == []


def test_xlsx_import_and_cli_exit_codes(tmp_path, monkeypatch):
    from alac_cli.main import app
    from alac_intake.app import build_runtime

    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    runtime = build_runtime(Settings(data_dir=tmp_path))
    runtime.migrate()
    runtime.close()
    rows = [[*GOOD[0][:1], datetime(2019, 3, 4, 10, 0), *GOOD[0][2:]], GOOD[1]]
    good = _xlsx(tmp_path / "old.xlsx", rows)
    args = ["intake", "import-file", str(good), "--tenant", "tk", "--office", "almaty"]
    dry = CliRunner().invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0 and "2 rows checked" in dry.output, dry.output
    real = CliRunner().invoke(app, args)
    assert real.exit_code == 0 and "2 created, 0 already imported" in real.output, real.output
    assert "0 created, 2 already imported" in CliRunner().invoke(app, args).output
    broken = _xlsx(tmp_path / "broken.xlsx", [["H-9", "2019-01-01", "hotline", "x", "mars"]])
    out = CliRunner().invoke(app, [*args[:2], str(broken), *args[3:]])
    assert out.exit_code == 1 and "line 2: area" in out.output and "nothing written" in out.output
