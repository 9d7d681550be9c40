"""The platform's languages and which one a request wants, decided the same way everywhere.

Kazakh, Russian and English (DOMAIN.md). A caller names its language with `?lang=` where an
endpoint offers it, else with Accept-Language; the first supported tag *in the order sent*
wins (quality values are not weighed: browsers and our front end send them in order), and
English is the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeGuard

from starlette.requests import Request

Language = Literal["kk", "ru", "en"]
LANGUAGES: tuple[Language, ...] = ("kk", "ru", "en")
DEFAULT: Language = "en"
# The language a centre falls back to when someone's own is not one it works in: Russian, which
# the centres' staff and hotlines work in beside Kazakh (a request's default stays English).
CENTRE_FALLBACK: Language = "ru"


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


def for_centre(wanted: str | None, centre_languages: Sequence[str] | None) -> Language:
    """The language a centre writes to someone in: `wanted` (theirs) when it is one the centre
    works in (`centre_languages`, the registry's `languages`; None or empty: any), else Russian
    when the centre works in it, else the centre's first language. A message in a language
    nobody at the centre uses helps no one, nor one they cannot answer."""
    offered = [lang for lang in centre_languages or () if is_language(lang)]
    if is_language(wanted) and (not offered or wanted in offered):
        return wanted
    if not offered or CENTRE_FALLBACK in offered:
        return CENTRE_FALLBACK
    return offered[0]


__all__ = [
    "CENTRE_FALLBACK", "DEFAULT", "LANGUAGES", "Language", "accepted_language", "for_centre",
    "is_language", "negotiate",
]  # fmt: skip
