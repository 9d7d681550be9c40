"""CSRF protection without server state: a signed double-submit token.

The browser gets a random value in an HttpOnly cookie; each form carries HMAC(secret, value).
A cross-site page can make the browser send the cookie but cannot read it, so it cannot write
the matching field; and since the field is signed, a cookie planted by a sibling host is
useless without the secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "alac_csrf"
FIELD = "csrf_token"


class Csrf:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, value: str) -> str:
        return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()

    def token_for(self, request: Request) -> tuple[str, str | None]:
        """(form token, new cookie value or None when the browser already has one)."""
        value = request.cookies.get(COOKIE)
        if value and 20 <= len(value) <= 100:
            return self._sign(value), None
        value = secrets.token_urlsafe(32)
        return self._sign(value), value

    def set_cookie(self, response: Response, value: str | None, *, secure: bool) -> None:
        if value is not None:
            response.set_cookie(
                COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/"
            )

    def valid(self, request: Request, submitted: str | None) -> bool:
        value = request.cookies.get(COOKIE)
        if not value or not submitted:
            return False
        return hmac.compare_digest(self._sign(value), submitted)
