"""The pages choose a language from Accept-Language as the services choose the language of
their answers (alac_kernel.languages; the front end imports no kernel code at run time, so this
checks the two agree). The pages add `?lang=` and the remembered choice (a cookie) before it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from alac_kernel.languages import LANGUAGES, accepted_language
from alac_web import i18n

HEADERS = ["ru-RU,ru;q=0.9,en;q=0.8", "KK-kz", "de-DE, en;q=0.5, ru;q=0.9", "de, fr", "", " , ru"]


def _request(accept_language: str, query: bytes = b"", cookie: str | None = None) -> Request:
    headers = [(b"accept-language", accept_language.encode())]
    if cookie is not None:
        headers.append((b"cookie", f"{i18n.COOKIE}={cookie}".encode()))
    return Request({"type": "http", "headers": headers, "query_string": query})


def test_the_pages_speak_the_same_languages():
    assert tuple(i18n.LANGUAGES) == tuple(LANGUAGES)


@pytest.mark.parametrize("header", HEADERS)
def test_accept_language_is_read_as_the_services_read_it(header):
    assert i18n.negotiate(_request(header), "ru") == (accepted_language(header) or "ru", False)


def test_lang_and_the_cookie_come_first():
    assert i18n.negotiate(_request("ru", b"lang=kk"), "en") == ("kk", True)
    assert i18n.negotiate(_request("ru", cookie="en"), "kk") == ("en", False)
