"""Offline intake for mobile clinics: the service worker that keeps the complaint entry form
and its assets on the device. The queue itself (IndexedDB, sending with the Idempotency-Key)
is static/offline.js; the endpoint it sends to is `POST /staff/complaints/queued` (staff.py).

The worker is served from /staff/ so its scope is the staff console only: the public pages
never run it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

from alac_web.settings import PACKAGE

WORKER = PACKAGE / "static" / "sw.js"


def install_offline(app: FastAPI) -> None:
    source = WORKER.read_bytes()

    @app.get("/staff/sw.js", include_in_schema=False)
    def service_worker() -> Response:
        # no-cache: the browser checks for a new worker on every visit instead of keeping an
        # old one for up to a day.
        return Response(
            source,
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/staff/"},
        )
