"""Benchmarks of the ALAC platform, run with `python -m bench` (or `make bench`).

Every figure is measured in the same run on the same machine, against real processes, and is
printed next to a ceiling measured the same way, so a figure always comes with its ratio.

Figure set 1 (`intake`): complaints accepted per second by the intake service at several
concurrency levels, against a bare FastAPI hello-world POST endpoint served by the same uvicorn.

Figure set 2 (`python -m bench.search`): the embedded search engine's indexing rate and query
latency at 1 million complaints.
"""
