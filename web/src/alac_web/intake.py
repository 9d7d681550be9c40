"""The intake service's public API as the front end uses it: the web form, reference lists and
the anonymous follow-up. Problems (RFC 9457) come back as `ApiProblem` with the field errors
keyed by form field, so the pages can show each reason next to its field."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx


@dataclass
class ApiProblem(Exception):
    status: int
    detail: str
    fields: dict[str, str] = field(default_factory=dict)  # form field -> reason
    retry_after_s: int | None = None
    # The whole problem document: its extension members (e.g. cases' `missing_consent`)
    # let a page say the reason in the user's language.
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def _form_field(api_field: str) -> str:
    """`body.contact.email` -> `email`, `body.crux` -> `crux`, `header.Receipt-Code` -> `code`."""
    if api_field.startswith("header.Receipt-Code"):
        return "code"
    parts = api_field.split(".")
    if parts and parts[0] in ("body", "query", "header"):
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] in ("contact", "complainant"):
        return parts[1]
    return parts[0] if parts else "form"


def problem_of(response: httpx.Response) -> ApiProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    fields: dict[str, str] = {}
    for error in body.get("errors") or []:
        name = _form_field(str(error.get("field", "")))
        fields.setdefault(name, str(error.get("reason", "")))
    retry = response.headers.get("retry-after")
    return ApiProblem(
        status=response.status_code,
        detail=str(body.get("detail") or body.get("title") or response.reason_phrase),
        fields=fields,
        retry_after_s=int(retry) if retry and retry.isdigit() else None,
        body=body,
    )


class Intake:
    """One pooled HTTP client to intake. `forwarded_for` passes the visitor's address on (never
    stored here) so intake's per-address rate limits count visitors, not the front end."""

    REFERENCE_TTL_S = 300.0

    def __init__(self, base_url: str, *, timeout_s: float, transport: Any = None) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout_s, transport=transport, follow_redirects=False
        )
        self._reference: dict[tuple[str, str, str | None], tuple[float, list[dict[str, Any]]]] = {}

    async def close(self) -> None:
        await self.client.aclose()

    @staticmethod
    def _headers(lang: str, forwarded_for: str | None, code: str | None = None) -> dict[str, str]:
        headers = {"Accept-Language": lang, "Accept": "application/json"}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        if code is not None:
            headers["Receipt-Code"] = code
        return headers

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise problem_of(response)
        return response.json()

    async def reference(
        self, name: str, lang: str, *, tenant: str | None = None
    ) -> list[dict[str, Any]]:
        """A reference list in `lang`, `tenant`'s version of a per-tenant list (age bands, the
        languages a centre works in) when given, cached a few minutes (lists change by
        migration; a centre's own with the tenant registry, seen here within the cache's
        minutes)."""
        key = (name, lang, tenant)
        hit = self._reference.get(key)
        if hit and time.monotonic() - hit[0] < self.REFERENCE_TTL_S:
            return hit[1]
        params = {"lang": lang} if tenant is None else {"lang": lang, "tenant": tenant}
        body = await self._call("GET", f"/v1/reference/{name}", params=params)
        items = [i for i in body["items"] if i.get("current", True)]
        self._reference[key] = (time.monotonic(), items)
        return items

    async def submit(
        self, payload: dict[str, Any], *, lang: str, forwarded_for: str | None
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/v1/public/complaints", json=payload,
            headers=self._headers(lang, forwarded_for),
        )  # fmt: skip

    async def status(self, code: str, *, lang: str, forwarded_for: str | None) -> dict[str, Any]:
        return await self._call(
            "GET", "/v1/follow-up/status", headers=self._headers(lang, forwarded_for, code)
        )

    async def messages(
        self, code: str, *, lang: str, forwarded_for: str | None
    ) -> list[dict[str, Any]]:
        return await self._call(
            "GET", "/v1/follow-up/messages", headers=self._headers(lang, forwarded_for, code)
        )

    async def post_message(
        self, code: str, body: str, *, lang: str, forwarded_for: str | None
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/v1/follow-up/messages", json={"body": body},
            headers=self._headers(lang, forwarded_for, code),
        )  # fmt: skip

    async def withdraw(
        self, code: str, reason: str | None, *, lang: str, forwarded_for: str | None
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/v1/follow-up/withdraw", json={"reason": reason} if reason else {},
            headers=self._headers(lang, forwarded_for, code),
        )  # fmt: skip

    async def consent(
        self, code: str, answers: dict[str, bool], *, lang: str, forwarded_for: str | None
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/v1/follow-up/consent", json=answers,
            headers=self._headers(lang, forwarded_for, code),
        )  # fmt: skip

    async def attach(
        self, code: str, filename: str, data: bytes, *, lang: str, forwarded_for: str | None
    ) -> dict[str, Any]:
        """A file for the complaint of `code`. The declared type is left unspecific: intake
        judges the bytes, not the browser's guess from the file name."""
        headers = {
            **self._headers(lang, forwarded_for, code),
            "Content-Type": "application/octet-stream",
            "Attachment-Filename": quote(filename, safe=""),
        }
        return await self._call("POST", "/v1/follow-up/attachments", content=data, headers=headers)
