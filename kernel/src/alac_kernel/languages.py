"""The platform's languages and which one a request wants, decided the same way everywhere.

Kazakh, Russian and English (DOMAIN.md). A caller names its language with `?lang=` where an
endpoint offers it, else with Accept-Language; the first supported tag *in the order sent*
wins (quality values are not weighed: browsers and our front end send them in order), and
English is the default.
"""

from __future__ import annotations

from typing import Literal, TypeGuard

from starlette.requests import Request

Language = Literal["kk", "ru", "en"]
LANGUAGES: tuple[Language, ...] = ("kk", "ru", "en")
DEFAULT: Language = "en"


def is_language(value: object) -> TypeGuard[Language]:
    return value in LANGUAGES


def accepted_language(header: str) -> Language | None:
    """The first of kk, ru, en named in an Accept-Language value (`ru-RU` counts as ru)."""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if is_language(tag):
            return tag
    return None


def negotiate(request: Request | None, asked: str | None = None) -> Language:
    """`asked` (an endpoint's `?lang=`) when supported, then Accept-Language, then English."""
    if is_language(asked):
        return asked
    header = request.headers.get("accept-language", "") if request is not None else ""
    return accepted_language(header) or DEFAULT


__all__ = ["DEFAULT", "LANGUAGES", "Language", "accepted_language", "is_language", "negotiate"]
