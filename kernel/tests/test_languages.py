"""The language of an answer is chosen the same way by every service: `?lang=` where offered,
then the first supported tag of Accept-Language in the order sent, then English."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from alac_kernel.errors import NotFound
from alac_kernel.languages import accepted_language, for_centre, negotiate
from alac_kernel.problems import install_problem_handlers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("kk", "kk"),
        ("KK-kz", "kk"),
        ("de-DE, en;q=0.5, ru;q=0.9", "en"),  # order as sent, not by quality
        ("de, fr", None),
        ("", None),
        (" , ;q=1, ru", "ru"),
    ],
)
def test_the_first_supported_tag_of_accept_language(header, expected):
    assert accepted_language(header) == expected


def _app() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/lang")
    def lang(request: Request, lang: str | None = None) -> str:
        return negotiate(request, lang)

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("case", translations={"ru": "дело не найдено", "kk": "іс табылмады"})

    return TestClient(app)


def test_lang_wins_over_the_header_and_unknown_values_fall_through():
    client = _app()
    assert (
        client.get("/lang", params={"lang": "kk"}, headers={"Accept-Language": "ru"}).json() == "kk"
    )
    assert (
        client.get("/lang", params={"lang": "de"}, headers={"Accept-Language": "ru"}).json() == "ru"
    )
    assert client.get("/lang", params={"lang": "de"}).json() == "en"
    assert client.get("/lang").json() == "en"
    assert negotiate(None) == "en"


def test_problems_speak_the_negotiated_language():
    client = _app()
    assert (
        client.get("/missing", headers={"Accept-Language": "kk, ru"}).json()["detail"]
        == "іс табылмады"
    )
    assert (
        client.get("/missing", headers={"Accept-Language": "fr, ru"}).json()["detail"]
        == "дело не найдено"
    )
    assert client.get("/missing").json()["detail"] == "case not found"


@pytest.mark.parametrize(
    ("wanted", "centre", "expected"),
    [
        ("kk", None, "kk"),  # a centre not in the registry: every language
        ("kk", ["kk", "ru"], "kk"),
        ("en", ["kk", "ru"], "ru"),  # Russian when the centre works in it
        ("ru", ["kk", "en"], "kk"),  # else the centre's first language
        ("ru", ["en", "kk"], "en"),
        (None, ["en"], "en"),
        (None, ["kk", "ru", "en"], "ru"),
        ("de", None, "ru"),
        ("en", [], "en"),
    ],
)
def test_a_centre_writes_in_a_language_it_works_in(wanted, centre, expected) -> None:
    assert for_centre(wanted, centre) == expected
