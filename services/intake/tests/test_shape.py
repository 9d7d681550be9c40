"""Intake has the shape every service follows: the use cases speak the domain, not HTTP."""

from __future__ import annotations

from pathlib import Path

import alac_intake
from alac_kernel.testing.shape import shape_problems


def test_only_the_http_edge_knows_http_and_views_open_no_transaction():
    assert shape_problems(Path(alac_intake.__file__).parent) == []
