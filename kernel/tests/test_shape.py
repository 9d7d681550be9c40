"""The shape check finds a use case that speaks HTTP and a view that opens a transaction."""

from __future__ import annotations

from alac_kernel.testing.shape import shape_problems


def test_the_shape_check_names_each_breach(tmp_path):
    package = tmp_path / "alac_x"
    (package / "cases").mkdir(parents=True)
    (package / "cases" / "service.py").write_text(
        "from fastapi import Request\nfrom alac_kernel.problems import Problem\n"
    )
    (package / "cases" / "views.py").write_text(
        "from fastapi import APIRouter\nfrom alac_kernel.db import session_scope\n"
    )
    (package / "runtime.py").write_text("from fastapi import Request\n")
    (package / "cases" / "access.py").write_text("from alac_kernel.errors import NotFound\n")
    assert shape_problems(package) == [
        "cases/service.py: imports fastapi",
        "cases/service.py: uses alac_kernel.problems.Problem (raise a domain error)",
        "cases/views.py: opens a transaction (session_scope)",
    ]
