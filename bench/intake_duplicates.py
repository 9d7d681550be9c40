"""CPU per complaint of intake's possible-duplicate lookup, before and after the LSH index.

`python -m bench.intake_duplicates [--sizes 500,3000,10000] [--lookups 50]`: for each size N,
a fresh intake SQLite database (migrated to head) holds N complaints of one tenant received
within the last 90 days, with their text bands; then `--lookups` new complaints are looked
up with the previous implementation (kept below, verbatim: the 500 most recent complaints
compared with difflib) and with `alac_intake.duplicates.service.find_possible_duplicates`.
Two text sets: the end-to-end bench's texts (`bench/payloads.py`, six templates, so most
complaints really are near-duplicates of each other: the worst case) and varied texts
(`bench/search_corpus.py`, unrelated complaints on the same topics). CPU is the process
time of the lookup alone (`time.process_time`), in ms per complaint.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from sqlalchemy import select


def _old_lookup(session, complaint) -> list[str]:  # type: ignore[no-untyped-def]
    """The implementation before the index (alac_intake/service.py until 2026-11-23)."""
    from alac_intake.complaints.models import Complaint

    since = complaint.received_at - timedelta(days=90)
    earlier = session.execute(
        select(Complaint.id, Complaint.complainant_pseudonym, Complaint.crux)
        .where(Complaint.id != complaint.id, Complaint.registered_at >= since)
        .order_by(Complaint.registered_at.desc())
        .limit(500)
    ).all()
    text = complaint.crux.casefold()
    found = []
    for other_id, pseudonym, crux in earlier:
        if pseudonym == complaint.complainant_pseudonym or (
            SequenceMatcher(None, text, crux.casefold()).quick_ratio() >= 0.9
            and SequenceMatcher(None, text, crux.casefold()).ratio() >= 0.9
        ):
            found.append(other_id)
    return found


def _texts(kind: str, n: int, rng: random.Random) -> list[str]:
    if kind == "bench":
        from bench.payloads import complaint_bodies

        return [b["crux"] for b in complaint_bodies(n, seed=rng.randint(0, 10**6))]
    from bench.search_corpus import _crux

    return [_crux(rng, "ru", False) for _ in range(n)]


def measure(size: int, lookups: int, kind: str) -> dict[str, Any]:
    from alac_intake.app import MIGRATIONS
    from alac_intake.complaints.models import Complaint
    from alac_intake.duplicates import service as duplicates
    from alac_kernel.db import make_engine, make_session_factory, new_id, session_scope
    from alac_kernel.migrations import upgrade

    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'intake.db'}"
        upgrade(MIGRATIONS, url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        now = datetime.now(UTC)
        texts = _texts(kind, size + lookups, rng)

        def row(i: int, text: str) -> Complaint:
            return Complaint(
                id=new_id(), tenant_id="tk", office="almaty", channel="hotline",
                received_at=now - timedelta(minutes=i), registered_at=now - timedelta(minutes=i),
                registered_by="bench", anonymous=True, crux=text, complainant_pseudonym=new_id(),
                status="received", version=1, completeness=0.0,
            )  # fmt: skip

        with session_scope(factory, tenant="tk") as session:
            for i, text in enumerate(texts[:size]):
                complaint = row(i + 1, text)
                session.add(complaint)
                session.flush()
                duplicates.index_text(session=session, complaint=complaint)
        result: dict[str, Any] = {"size": size, "texts": kind, "lookups": lookups}
        with session_scope(factory, tenant="tk") as session:
            news = [row(0, text) for text in texts[size:]]
            session.add_all(news)
            session.flush()
            for name, lookup in (
                ("before", lambda c: _old_lookup(session, c)),
                ("after", lambda c: duplicates.find_possible_duplicates(session=session, complaint=c)),
            ):  # fmt: skip
                flagged, examined = 0, 0
                t0 = time.process_time()
                for complaint in news:
                    found = lookup(complaint)
                    if name == "after":
                        examined += found.rows_examined
                        found = found.ids
                    flagged += len(found)
                result[f"{name}_cpu_ms"] = (time.process_time() - t0) * 1000 / lookups
                result[f"{name}_flags_per_complaint"] = flagged / lookups
            result["after_rows_examined_per_complaint"] = examined / lookups
            session.rollback()
        engine.dispose()
        return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,3000,10000")
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--output", default="bench/results/intake-duplicates.json")
    args = parser.parse_args(argv)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for kind in ("bench", "varied"):
            figures = measure(size, args.lookups, kind)
            results.append(figures)
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v
                              for k, v in figures.items()}), flush=True)  # fmt: skip
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
