"""Intake's rows of a centre for its offboarding archive, asked of intake over HTTP (cases never
reads intake's database): `POST /v1/tenants/{id}/archive` on ALAC_INTAKE_URL with the platform
admin's own token. Asked before anything is deleted; intake deletes on `tenant.offboarded`."""

from __future__ import annotations

from typing import Protocol

import httpx

from alac_kernel.errors import BadGateway, Conflict, Unavailable
from alac_kernel.settings import Settings
from alac_kernel.tenants.archive import Rows

RETRY_AFTER_S = 10


class IntakeArchive(Protocol):
    def fetch(self, tenant_id: str, token: str) -> Rows:
        """Every row intake holds of the (suspended) tenant, its keys left out."""


class HttpIntakeArchive:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client  # an in-process intake's ASGI client in tests

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpIntakeArchive:
        return cls(httpx.Client(base_url=settings.intake_url, timeout=120.0))

    def fetch(self, tenant_id: str, token: str) -> Rows:
        try:
            answer = self.client.post(
                f"/v1/tenants/{tenant_id}/archive", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"Intake cannot be reached ({type(exc).__name__}) for the centre's archive; "
                "nothing was deleted. Send the same request again later.",
                headers={"Retry-After": str(RETRY_AFTER_S)},
                retry_after_s=RETRY_AFTER_S,
            ) from None
        if answer.status_code == 200:
            tables: Rows = answer.json()["tables"]
            return tables
        detail = _detail(answer)
        if answer.status_code == 409:
            raise Conflict(f"Intake: {detail}")
        raise BadGateway(
            f"Intake refused the centre's archive ({answer.status_code}: {detail}); nothing "
            "was deleted."
        )


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail") or answer.text)
    except ValueError:
        return answer.text[:200]
