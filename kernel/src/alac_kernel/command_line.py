"""Command-line commands that call a service's use cases directly print a refusal the way the
HTTP edge answers it, in one line: the detail, then each field error (``field: reason``) and
the extensions a caller acts on (``allowed``, ``missing_consent``, ``current_version``, ...)."""

from __future__ import annotations

import json

from alac_kernel.errors import DomainError


def one_line(error: DomainError) -> str:
    """``409 Conflict: <detail> [body.outcome: required; allowed: ["closed"]]``."""
    parts = [f"{e.get('field')}: {e.get('reason')}" for e in error.errors]
    parts += [
        f"{name}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in error.extensions.items()
    ]
    extra = f" [{'; '.join(parts)}]" if parts else ""
    return f"{error.status} {error.title}: {error.detail}{extra}"
