"""Intake's request budgets: one limiter (alac_kernel.limits.SharedWindowLimiter, counted in
intake's database so every replica spends the same budget), one bucket per thing limited, each
keyed by what it protects.

- the web form: submissions per client address;
- the complainant's files: uploads per client address (the form sends up to three files, so
  twenty forms an hour fit, a flood of uploads does not);
- wrong receipt codes: failures per client address. A code's 100 secret bits make guessing
  hopeless, so this only slows a flood; never per receipt locator, or a stranger's wrong
  guesses would lock the real complainant out;
- the complainant's messages: per complaint (a thread is for a conversation, not a flood).

The client address is the connection's peer, or behind the operator's own proxies the
forwarded one (alac_kernel.limits.client_address); the views pass it to the use case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.errors import TooManyRequests
from alac_kernel.limits import SharedWindowLimiter


@dataclass
class IntakeLimits:
    web_form: SharedWindowLimiter
    public_attachments: SharedWindowLimiter
    receipt_failures: SharedWindowLimiter
    complainant_messages: SharedWindowLimiter

    @classmethod
    def counted_in(cls, factory: sessionmaker[Session], table: Table) -> IntakeLimits:
        def budget(bucket: str, limit: int, window_s: float) -> SharedWindowLimiter:
            return SharedWindowLimiter(
                factory, table, bucket=bucket, limit=limit, window_s=window_s
            )

        return cls(
            web_form=budget("web_form", 20, 3600),
            public_attachments=budget("public_attachments", 60, 3600),
            receipt_failures=budget("receipt_failures", 10, 900),
            complainant_messages=budget("complainant_messages", 20, 86400),
        )


def take(limiter: SharedWindowLimiter, key: str, detail: str) -> None:
    """Count one hit of `key`, or refuse (429 with Retry-After) once its budget is spent."""
    wait = limiter.hit(key)
    if wait is not None:
        raise TooManyRequests(detail, retry_after=wait)


def refuse_if_blocked(limiter: SharedWindowLimiter, key: str, detail: str) -> None:
    """Refuse if `key` has spent its budget, counting nothing (a budget of failures, whose
    hits are recorded only when a failure happens)."""
    wait = limiter.blocked(key)
    if wait is not None:
        raise TooManyRequests(detail, retry_after=wait)
