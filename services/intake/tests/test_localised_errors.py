"""Every validation error names the field and the reason in the caller's language (kk, ru, en
via Accept-Language), pydantic's own errors included."""

from __future__ import annotations

import pytest

URL = "/v1/complaints"
CASES = [
    # (body, field, en, ru, kk)
    ({"channel": "hotline"}, "body.crux", "field required", "обязательное поле", "міндетті өріс"),
    ({"channel": "hotline", "crux": "x", "cruxx": "y"}, "body.cruxx", "unknown field",
     "неизвестное поле", "белгісіз өріс"),
    ({"channel": "hotline", "crux": "x", "anonymous": "yes"}, "body.anonymous",
     "Input should be a valid boolean", "должно быть true или false", "true немесе false болуы керек"),
    ({"channel": "hotline", "crux": "x" * 20001}, "body.crux",
     "String should have at most 20000 characters", "не длиннее 20000 символов",
     "20000 таңбадан аспауы керек"),
    ({"channel": "hotline", "crux": "x", "years_pending": 101}, "body.years_pending",
     "Input should be less than or equal to 100", "не больше 100", "100 мәнінен аспауы керек"),
    ({"channel": "hotline", "crux": "x", "received_at": "2999-01-01T00:00:00+05:00"},
     "body.received_at", "must not be in the future", "не может быть в будущем",
     "болашақта болмауы керек"),
    ({"channel": "hotline", "crux": "x", "appeal_deadline": "31.12.2026"}, "body.appeal_deadline",
     None, "должно быть датой ГГГГ-ММ-ДД", "ЖЖЖЖ-АА-КК күні болуы керек"),
    ({"channel": "hotline", "crux": "x", "area": "mars"}, "body.area", "unknown area 'mars'",
     "неизвестное значение 'mars' в поле «area»", "«area» өрісінде белгісіз мән 'mars'"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field", "en", "ru", "kk"), CASES,
                         ids=["missing", "unknown", "type", "too-long", "too-big", "future",
                              "date", "reference-code"])  # fmt: skip
def test_reason_in_the_callers_language(sqlite_intake, body, field, en, ru, kk):
    p = sqlite_intake
    for lang, header, expected in [("en", "", en), ("ru", "ru-RU,ru;q=0.9", ru),
                                   ("kk", "kk, en;q=0.5", kk)]:  # fmt: skip
        r = p.intake.post(URL, json=body, headers=p.headers("vera", **{"Accept-Language": header}))
        assert r.status_code == 422, r.text
        reasons = {e["field"]: e["reason"] for e in r.json()["errors"]}
        assert field in reasons, (lang, reasons)
        if expected is not None:
            assert reasons[field] == expected, lang
        else:
            assert reasons[field]  # English: pydantic's own wording


def test_unsupported_language_falls_back_to_english(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(
        URL, json={"channel": "hotline"}, headers=p.headers("vera", **{"Accept-Language": "de"})
    )
    assert r.json()["errors"] == [{"field": "body.crux", "reason": "field required"}]


def test_public_form_errors_are_localised_too(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post("/v1/public/complaints", json={"tenant": "tk", "office": "almaty"},
                      headers={"Accept-Language": "kk"})  # fmt: skip
    assert r.status_code == 422
    assert {"field": "body.crux", "reason": "міндетті өріс"} in r.json()["errors"]
