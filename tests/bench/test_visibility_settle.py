"""The visibility bench's batched reading of analytics' counts (`settle_by_counts`): which
complaints a read model counts, found from the totals of time windows, fewer requests than
complaints. Pure logic: the "read model" here is a set of counted complaints."""

from __future__ import annotations

import random
import sys
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alac_kernel.testing.aio import run_coroutine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench is not a package

from bench.visibility import Sent, Window, settle_by_counts  # noqa: E402

T0 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def complaints(n: int, rng: random.Random) -> list[Sent]:
    times = sorted(T0 + timedelta(microseconds=rng.randrange(10**6)) for _ in range(n))
    return [Sent(f"c{i}", f"w{i}", t, 0.0) for i, t in enumerate(times)]


def settle(sent: list[Sent], counted: set[str], waiting: list[Sent], budget: int = 1000):
    received = [s.received for s in sent]
    asked: list[Window] = []

    def sent_in(window: Window) -> int:
        return bisect_left(received, window[1]) - bisect_left(received, window[0])

    async def count(window: Window) -> int:
        asked.append(window)
        return sum(1 for s in sent if s.id in counted and window[0] <= s.received < window[1])

    found, requests = run_coroutine(settle_by_counts(waiting, sent_in, count, budget))
    assert requests == len(asked)
    return found, requests


@pytest.mark.parametrize("seed", range(20))
def test_exactly_the_counted_complaints_are_found(seed):
    rng = random.Random(seed)
    sent = complaints(200, rng)
    waiting = [s for s in sent if rng.random() < 0.3]
    counted = {s.id for s in sent if s not in waiting or rng.random() < 0.5}
    found, _ = settle(sent, counted, waiting)
    assert found == {s.id for s in waiting} & counted


def test_all_counted_or_none_counted_costs_one_request():
    sent = complaints(100, random.Random(1))
    waiting = sent[40:]
    assert settle(sent, {s.id for s in sent}, waiting) == ({s.id for s in waiting}, 1)
    assert settle(sent, {s.id for s in sent[:40]}, waiting) == (set(), 1)


def test_the_budget_caps_the_requests_and_what_is_left_stays_waiting():
    rng = random.Random(2)
    sent = complaints(100, rng)
    counted = {s.id for i, s in enumerate(sent) if i % 2 == 0}
    found, requests = settle(sent, counted, sent, budget=5)
    assert requests == 5
    assert found <= counted
