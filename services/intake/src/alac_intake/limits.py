"""Intake's request budgets: the kernel's one limiter (alac_kernel.limits.window_limiter:
counted in intake's database so every replica spends the same budget, or in memory with
`ALAC_RATE_LIMITS=process`), one bucket per thing limited, each keyed by what it protects.

- the web form: submissions per client address;
- the complainant's files: uploads per client address (the form sends up to three files, so
  twenty forms an hour fit, a flood of uploads does not);
- wrong receipt codes: failures per client address. A code's 100 secret bits make guessing
  hopeless, so this only slows a flood; never per receipt locator, or a stranger's wrong
  guesses would lock the real complainant out;
- the complainant's messages: per complaint (a thread is for a conversation, not a flood).

The client address is the connection's peer, or behind the operator's own proxies the
forwarded one (alac_kernel.limits.client_address); the views pass it to the use case, which
spends the budget with the limiter's `take` (or `refuse_if_blocked` and `record` for a budget
of failures), refused as TooManyRequests (429 with Retry-After).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.limits import WindowLimiter, window_limiter
from alac_kernel.settings import Settings


@dataclass
class IntakeLimits:
    web_form: WindowLimiter
    public_attachments: WindowLimiter
    receipt_failures: WindowLimiter
    complainant_messages: WindowLimiter

    @classmethod
    def counted_in(
        cls, settings: Settings, factory: sessionmaker[Session], table: Table
    ) -> IntakeLimits:
        def budget(bucket: str, limit: int, window_s: float) -> WindowLimiter:
            return window_limiter(
                settings, session_factory=factory, table=table, bucket=bucket, limit=limit,
                window_s=window_s,
            )  # fmt: skip

        return cls(
            web_form=budget("web_form", 20, 3600),
            public_attachments=budget("public_attachments", 60, 3600),
            receipt_failures=budget("receipt_failures", 10, 900),
            complainant_messages=budget("complainant_messages", 20, 86400),
        )
