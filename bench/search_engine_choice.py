"""Throwaway measurement behind docs/search.md "Why FTS5": SQLite FTS5 (the embedded engine
as shipped) against Tantivy (tantivy-py) on the same corpus and the same queries.

Not part of `make bench`, and Tantivy is not a project dependency: run it from a separate
virtual environment that has tantivy and PyStemmer, e.g.

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install tantivy==0.27.0 PyStemmer==3.1.0
    PYTHONPATH=.:services/search/src /tmp/tv/bin/python -m bench.search_engine_choice --docs 200000

Both engines get the same analysed text (alac_search.analysis: plain, Snowball stem and Kazakh
Latin forms), so the comparison is of the engines, not of their analysers. Tantivy gets what
it needs to answer the same queries: the three text forms, the tenant and filters as raw
terms. It indexes with one writer thread (the machine has 2 cores shared with the benchmark
process), and commits once at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from alac_search.analysis.text import columns, latin_form, stem, words
from bench.search import PHRASES, PREFIXES, TWO_WORDS, percentile, query_plan
from bench.search_corpus import documents


def tantivy_index(folder: Path, n: int) -> tuple[Any, dict[str, Any]]:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("tenant", "office", "status"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in ("plain", "stem", "latin"):
        sb.add_text_field(name, tokenizer_name="whitespace")
    sb.add_text_field("crux", stored=True, tokenizer_name="raw", index_option="basic")
    schema = sb.build()
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    started = time.perf_counter()
    for tenant, doc_id, _version, fields in documents(n):
        plain, stemmed, latin = columns(fields["crux"])
        writer.add_document(
            tantivy.Document(
                id=doc_id,
                tenant=tenant,
                office=fields["office"],
                status=fields["status"],
                plain=plain,
                stem=stemmed,
                latin=latin,
                crux=fields["crux"][:0],  # stored text is not what is measured
            )
        )
    writer.commit()
    writer.wait_merging_threads()
    elapsed = time.perf_counter() - started
    index.reload()
    return index, {"documents": n, "seconds": round(elapsed, 2), "per_s": round(n / elapsed)}


def tantivy_query(index: Any, plan: dict[str, Any]) -> int:
    import tantivy
    from tantivy import Occur, Query

    schema = index.schema
    q = plan["q"]
    must = [(Occur.Must, Query.term_query(schema, "tenant", plan["tenant"]))]
    for name, value in plan["filters"].items():
        must.append((Occur.Must, Query.term_query(schema, name, value)))
    if q.startswith('"'):
        ws = words(q)
        text = Query.boolean_query(
            [
                (Occur.Should, Query.phrase_query(schema, "plain", ws)),
                (Occur.Should, Query.phrase_query(schema, "latin", [latin_form(w) for w in ws])),
            ]
        )
    elif q.endswith("*"):
        word = words(q)[0]
        text = Query.boolean_query(
            [
                (Occur.Should, Query.regex_query(schema, "plain", word + ".*")),
                (Occur.Should, Query.regex_query(schema, "latin", latin_form(word) + ".*")),
            ]
        )
    else:
        parts = []
        for w in words(q):
            parts.append(
                (
                    Occur.Must,
                    Query.boolean_query(
                        [
                            (Occur.Should, Query.term_query(schema, "plain", w)),
                            (Occur.Should, Query.term_query(schema, "stem", stem(w))),
                            (Occur.Should, Query.term_query(schema, "latin", latin_form(w))),
                        ]
                    ),
                )
            )
        text = Query.boolean_query(parts)
    must.append((Occur.Must, text))
    searcher = index.searcher()
    result = searcher.search(Query.boolean_query(must), 20, count=True)
    for _score, address in result.hits:
        searcher.doc(address)
    del tantivy
    return int(result.count)


def measure(fn: Any, kind: str, queries: int, warmup: int) -> dict[str, Any]:
    rng = random.Random(kind)
    plans = [query_plan(kind, rng) for _ in range(warmup + queries)]
    times, totals = [], []
    for i, plan in enumerate(plans):
        t0 = time.perf_counter()
        total = fn(plan)
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(ms)
            totals.append(float(total))
    return {
        "kind": kind,
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "median_hits": int(percentile(totals, 50)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.search_engine_choice")
    p.add_argument("--docs", type=int, default=200_000)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--output", type=Path, default=Path("bench/results/search_engine_choice.json"))
    args = p.parse_args(argv)
    kinds = ("two_words_two_filters", "phrase", "prefix")
    assert TWO_WORDS and PHRASES and PREFIXES
    out: dict[str, Any] = {"docs": args.docs}
    folder = Path(tempfile.mkdtemp(prefix="alac-engine-choice-"))
    try:
        from alac_search.engines.base import SearchRequest
        from alac_search.engines.embedded import EmbeddedEngine
        from alac_search.query.parser import parse

        fts = EmbeddedEngine(folder / "fts.db", follow_pointer=False)
        started = time.perf_counter()
        docs = documents(args.docs)
        while chunk := list(islice(docs, 10_000)):
            fts.apply_many(chunk)
        fts.optimize()
        elapsed = time.perf_counter() - started
        out["fts5"] = {
            "indexing": {"seconds": round(elapsed, 2), "per_s": round(args.docs / elapsed)},
            "index_bytes": sum(f.stat().st_size for f in folder.glob("fts.db*")),
        }

        def fts_query(plan: dict[str, Any]) -> int:
            request = SearchRequest(
                tenant=plan["tenant"],
                query=parse(plan["q"]),
                filters=plan["filters"],
                limit=20,
                highlight=False,  # Tantivy makes no snippets here either
            )
            return fts.search(request).total

        out["fts5"]["queries"] = [measure(fts_query, k, args.queries, 10) for k in kinds]
        fts.close()
        print("fts5", json.dumps(out["fts5"], indent=1), flush=True)

        (folder / "tantivy").mkdir()
        index, indexing = tantivy_index(folder / "tantivy", args.docs)
        out["tantivy"] = {
            "indexing": indexing,
            "index_bytes": sum(f.stat().st_size for f in (folder / "tantivy").iterdir()),
            "queries": [
                measure(lambda plan: tantivy_query(index, plan), k, args.queries, 10) for k in kinds
            ],
        }
        print("tantivy", json.dumps(out["tantivy"], indent=1), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
