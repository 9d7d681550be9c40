"""Checks of the shape every service follows (docs/architecture.md), for each service's tests:
only the HTTP edge knows the web framework and HTTP statuses, and views open no transaction
(the use cases do)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

#: Modules that translate between HTTP and the use cases: views, the request dependency of
#: the typed runtime, the composition root.
HTTP_EDGE = frozenset({"views.py", "runtime.py", "app.py"})
_WEB_FRAMEWORKS = ("fastapi", "starlette")


def _imports(tree: ast.AST) -> Iterable[tuple[str, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name


def shape_problems(package: Path) -> list[str]:
    """`path: what` for each module of `package` outside the HTTP edge that imports the web
    framework or raises an HTTP status through `alac_kernel.problems`, and for each view that
    opens a unit of work itself."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(package)
        if path.name == "views.py":
            found += [
                f"{where}: opens a transaction ({name})"
                for module, name in _imports(tree)
                if module == "alac_kernel.db" and name == "session_scope"
            ]
        if path.name in HTTP_EDGE:
            continue
        for module, name in _imports(tree):
            if module.split(".")[0] in _WEB_FRAMEWORKS:
                found.append(f"{where}: imports {module}")
            elif module == "alac_kernel.problems" and name in (
                "Problem",
                "field_error",
                "not_found",
            ):
                found.append(f"{where}: uses alac_kernel.problems.{name} (raise a domain error)")
    return found
