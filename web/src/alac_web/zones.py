"""The time zone of each tenant's staff pages, from the tenant registry: cases'
`GET /v1/tenant` (the caller's own centre, with the user's token; the front end reads no
database). Asked once per tenant and kept for `TTL_S`, so a change of the registry's
`time_zone` (`PATCH /v1/tenants/<id>`) shows within minutes, and a page costs no extra call.
A tenant the registry does not know (from before it), or a cases service that cannot be
reached, gets the default zone (`ALAC_WEB_TIME_ZONE`); an unreachable one is asked again
after `RETRY_S`, not on every page: while cases is down (or its name does not resolve, which
can take seconds) each page would otherwise wait for the same failure first."""

from __future__ import annotations

import logging
import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from fastapi import FastAPI, Request

log = logging.getLogger("alac.web.zones")
TTL_S = 300.0
RETRY_S = 30.0


class TenantZones:
    def __init__(self, default: str, ttl_s: float = TTL_S, retry_s: float = RETRY_S) -> None:
        self.default = ZoneInfo(default)  # a zone that does not exist stops the start
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self._known: dict[str, tuple[ZoneInfo, float]] = {}
        self._failed: dict[str, float] = {}

    def zone_for(self, tenant: str | None) -> ZoneInfo:
        """The zone the pages of `tenant` show times in (what the registry said last)."""
        known = self._known.get(tenant or "")
        return known[0] if known else self.default

    def fresh(self, tenant: str) -> bool:
        now = time.monotonic()
        known = self._known.get(tenant)
        if known is not None and now - known[1] < self.ttl_s:
            return True
        failed = self._failed.get(tenant)
        return failed is not None and now - failed < self.retry_s

    async def learn(self, client: httpx.AsyncClient, tenant: str, token: str) -> None:
        if self.fresh(tenant):
            return
        try:
            answer = await client.get("/v1/tenant", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            log.warning("the tenant registry cannot be reached for %s's zone: %s", tenant, exc)
            self._failed[tenant] = time.monotonic()  # what it said last stays until then
            return
        zone = self.default
        if answer.status_code == 200:
            zone = _zone(answer.json(), self.default)
        self._known[tenant] = (zone, time.monotonic())
        self._failed.pop(tenant, None)


def _zone(body: dict[str, Any], default: ZoneInfo) -> ZoneInfo:
    name = (body.get("spec") or {}).get("time_zone")
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def install_zones(app: FastAPI, console: Any, zones: TenantZones) -> None:
    @app.middleware("http")
    async def tenant_zone(request: Request, call_next):
        """Before any staff page or form: the signed-in user's tenant zone is known."""
        if request.url.path.startswith("/staff"):
            session = console.current(request)
            if session is not None and session.tenant:
                await zones.learn(request.app.state.cases_client, session.tenant, session.token)
        return await call_next(request)
