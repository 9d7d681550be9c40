"""Whether a centre's access tokens are honoured: its standing, as every service learns it from
the registry's events.

Suspending a centre disables its accounts, so no new token is issued; but the access tokens
already issued stay valid until they expire. Each service therefore keeps the standing of every
tenant (the kernel table `tenant_standing`, filled by a consumer group of its own from
`tenant.*`) and refuses, with a 403 problem, the requests of a tenant that is suspended or
offboarded. Reactivation (`tenant.updated` with status active) lets them in again.

The check runs on every authenticated request, so the refused tenants are held in memory and
read again from the table when an event was applied in this process, or at the latest after
`REFRESH_S` (another process of the same service applied it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from alac_kernel.db import utcnow
from alac_kernel.events import Event
from alac_kernel.tenants import ACTIVE, OFFBOARDED, SUSPENDED

REFUSED = (SUSPENDED, OFFBOARDED)
REFRESH_S = 1.0
# The registry's events (cases). `tenant.privacy_settings_changed` (analytics) counts its own
# versions and says nothing of the standing.
STANDING_EVENTS = ("tenant.onboarded", "tenant.updated", "tenant.suspended", "tenant.offboarded")
_BY_TYPE = {"tenant.suspended": SUSPENDED, "tenant.offboarded": OFFBOARDED}


class TenantStanding:
    """The refused tenants of one service, kept fresh from its `tenant_standing` table."""

    def __init__(
        self, read: Callable[[], Session], table: Table, refresh_s: float = REFRESH_S
    ) -> None:
        # Sessions that only read (on SQLite they never take the write lock).
        self._read_sessions = read
        self._table = table
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._refused: dict[str, str] = {}
        self._held: dict[str, str] = {}
        self._read_at: float | None = None

    def refusal(self, tenant: str) -> str | None:
        """`suspended` or `offboarded` when the tenant's tokens are refused, else None."""
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._refresh_s:
                self._refused = self._read()
                self._read_at = now
            return self._held.get(tenant) or self._refused.get(tenant)

    def hold(self, tenant: str, status: str) -> None:
        """Refuse `tenant` in this process at once, before the transaction that records it
        commits (offboarding is final: work on the tenant's data must stop now)."""
        with self._lock:
            self._held[tenant] = status

    def forget(self) -> None:
        """Read the table again on the next check (an event was just applied here)."""
        with self._lock:
            self._read_at = None

    def _read(self) -> dict[str, str]:
        t = self._table
        with self._read_sessions() as session:
            rows = session.execute(select(t.c.tenant_id, t.c.status).where(t.c.status.in_(REFUSED)))
            return {tenant: status for tenant, status in rows}

    def handler(self) -> Callable[[Session, Event], None]:
        """The consumer's handler: the newest standing of the event's tenant, in the inbox's
        transaction (at most once; an older event arriving late changes nothing)."""

        def apply(session: Session, event: Event) -> None:
            apply_standing(session, self._table, event)
            self.forget()

        return apply


def standing_of(session: Session, table: Table, tenant: str) -> str | None:
    """The tenant's standing as this service last heard it (None: no registry event yet), in
    the caller's transaction (a handler's check; requests use TenantStanding's copy)."""
    return session.execute(
        select(table.c.status).where(table.c.tenant_id == tenant)
    ).scalar_one_or_none()


def apply_standing(session: Session, table: Table, event: Event) -> None:
    tenant = event.data["tenant_id"]
    status = _BY_TYPE.get(event.type) or event.data.get("status") or ACTIVE
    current = session.execute(
        select(table.c.version).where(table.c.tenant_id == tenant)
    ).scalar_one_or_none()
    values = {"status": status, "version": event.aggregateversion, "changed_at": utcnow()}
    if current is None:
        session.execute(table.insert().values(tenant_id=tenant, **values))
    elif event.aggregateversion > current:
        session.execute(table.update().where(table.c.tenant_id == tenant).values(**values))
