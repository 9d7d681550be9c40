"""Message catalogues (one JSON file per language in `locales/`) and the visitor's language.

Templates never hold text: they call `t("key")`. Adding a language is adding a catalogue with
the same keys (a test compares them) and its code to `LANGUAGES`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("kk", "ru", "en")
COOKIE = "alac_lang"
LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    texts = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    # Page modules may keep their own catalogue beside it (`<module>.<lang>.json`, keys
    # prefixed by the module), merged in: the dashboard's hundreds of labels stay apart.
    for extra in sorted(LOCALES.glob(f"*.{lang}.json")):
        texts.update(json.loads(extra.read_text(encoding="utf-8")))
    return texts


def translate(lang: str, key: str, **values: object) -> str:
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**values) if values else text


def negotiate(request: Request, default: str) -> tuple[str, bool]:
    """(language, chosen explicitly with ?lang=): `?lang=` wins, then the cookie set by an
    earlier choice, then the first supported tag of Accept-Language, then the default."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag, False
    return default, False
