"""Running a coroutine from a synchronous test, whatever else the test process runs.

Playwright's synchronous API (the browser tests' session-wide Chromium) keeps an event loop
running in the main thread of the pytest worker that holds it, so `asyncio.run` there fails
with "cannot be called from a running event loop" for every later test of that worker. A
fresh thread has no running loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` in a thread of its own; its result, or its exception."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alac-test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
