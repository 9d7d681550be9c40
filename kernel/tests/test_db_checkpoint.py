"""The checkpointer keeps a SQLite WAL from growing without end under a steady stream of
writes (alac_kernel.db._Checkpointer, issue #15): past its limit it truncates the WAL."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, text

from alac_kernel.db import _Checkpointer, make_engine


def _write(engine_url: str, rows: int) -> Engine:
    """`rows` commits; the engine's connections stay open (the last one to close would
    checkpoint and remove the WAL itself)."""
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, body TEXT)"))
    for i in range(rows):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO note (body) VALUES (:b)"), {"b": "x" * 3000 + str(i)})
    return engine


def _checkpointer(path: str, turn: threading.Lock, restart_frames: int) -> _Checkpointer:
    checkpointer = _Checkpointer(restart_frames=restart_frames)
    checkpointer.writes(path, turn)
    return checkpointer


def test_a_long_wal_is_truncated_and_a_short_one_left(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    url = f"sqlite:///{path}"
    wal = Path(f"{path}-wal")
    # The engine's own checkpointer thread may run meanwhile: it only copies (PASSIVE) below
    # its default limit of 16,384 frames, so the WAL file keeps its length.
    engine = _write(url, 200)
    assert wal.stat().st_size > 0
    turn = threading.Lock()

    _checkpointer(str(path), turn, restart_frames=100_000).checkpoint(str(path))
    assert wal.stat().st_size > 0, "under the limit the WAL is copied, not truncated"

    _checkpointer(str(path), turn, restart_frames=50).checkpoint(str(path))
    assert wal.stat().st_size == 0
    assert not turn.locked(), "the writers' turn is given back"
    engine.dispose()
