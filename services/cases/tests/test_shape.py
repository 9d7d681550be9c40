"""Cases has the shape every service follows: the use cases speak the domain, not HTTP, and
no view opens a transaction (the kernel's session_scope, or cases' own openers in
case/commands.py, which the kernel's check cannot know)."""

from __future__ import annotations

import ast
from pathlib import Path

import alac_cases
from alac_kernel.testing.shape import shape_problems

PACKAGE = Path(alac_cases.__file__).parent
TRANSACTION_OPENERS = {"unit_of_work", "read_case", "change_case"}


def test_only_the_http_edge_knows_http_and_views_open_no_transaction():
    assert shape_problems(PACKAGE) == []


def test_no_view_opens_a_case_transaction():
    opened = []
    for path in sorted(PACKAGE.rglob("views.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "alac_cases.case.commands":
                opened += [
                    f"{path.relative_to(PACKAGE)}: {alias.name}"
                    for alias in node.names
                    if alias.name in TRANSACTION_OPENERS
                ]
    assert opened == []
