"""A complaint's preferred language is one the centre works in (the tenant registry's
`languages`, which intake learns from tenant.onboarded/updated): staff entry is refused
another, naming the field; the public form's page language never refuses a citizen but is
recorded as the centre's fallback (alac_kernel.languages.for_centre)."""

from __future__ import annotations

from tenant_registry import demo_spec

PUBLIC = "/v1/public/complaints"


def _file(p, user: str, language: str, **headers: str):
    body = {"channel": "hotline", "crux": "Взятка в акимате", "preferred_language": language}
    return p.intake.post("/v1/complaints", json=body, headers=p.headers(user, **headers))


def _read(p, complaint_id: str, user: str = "dana") -> dict:
    found = p.intake.get(f"/v1/complaints/{complaint_id}", headers=p.headers(user))
    assert found.status_code == 200, found.text
    return found.json()


def test_a_complaint_is_in_a_language_the_centre_works_in(sqlite_intake):
    p = sqlite_intake
    # Before the registry announces ndi, every language is open (as before the registry).
    assert _file(p, "nurlan", "en").status_code == 201
    p.registry("tenant.onboarded", demo_spec("ndi"))  # ndi works in kk, ru
    listed = p.intake.get("/v1/reference/languages", params={"tenant": "ndi", "lang": "ru"})
    assert [(i["code"], i["label"]) for i in listed.json()["items"]] == [
        ("kk", "Казахский"), ("ru", "Русский"),
    ]  # fmt: skip
    everyone = p.intake.get("/v1/reference/languages", params={"tenant": "tk"}).json()["items"]
    assert [i["code"] for i in everyone] == ["kk", "ru", "en"]  # tk is not announced here

    refused = _file(p, "nurlan", "en")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {"field": "body.preferred_language", "reason": "the centre works in kk, ru"}
    ]
    in_russian = _file(p, "nurlan", "en", **{"Accept-Language": "ru"})
    assert in_russian.json()["errors"][0]["reason"] == "центр работает на языках: kk, ru"
    in_kazakh = _file(p, "nurlan", "de", **{"Accept-Language": "kk"})
    assert in_kazakh.json()["errors"][0] == {
        "field": "body.preferred_language",
        "reason": "орталық мына тілдерде жұмыс істейді: kk, ru",
    }
    kazakh = _file(p, "nurlan", "kk")
    assert kazakh.status_code == 201, kazakh.text
    assert _read(p, kazakh.json()["id"])["preferred_language"] == "kk"
    # tk (no registry entry here) still takes English.
    assert _file(p, "vera", "en").status_code == 201
    # A tenant admin cannot change the list: the registry owns it.
    items = [{"code": "en", "label_en": "English", "label_ru": "Англ", "label_kk": "Ағыл"}]
    put = p.intake.put(
        "/v1/reference/languages", json={"items": items}, headers=p.headers("tamara")
    )
    assert put.status_code == 404

    # The registry adds English: it is accepted from then on.
    p.registry("tenant.updated", demo_spec("ndi", languages=["kk", "ru", "en"]),
               changed=["languages"])  # fmt: skip
    english = _file(p, "nurlan", "en")
    assert english.status_code == 201, english.text
    assert _read(p, english.json()["id"])["preferred_language"] == "en"
    # An update of another field leaves the list (and its version) as it was.
    before = p.intake.get("/v1/reference/languages",
                          params={"tenant": "ndi", "include_retired": "true"}).json()["items"]  # fmt: skip
    p.registry("tenant.updated", demo_spec("ndi", languages=["kk", "ru", "en"], retention_years=7),
               changed=["retention_years"])  # fmt: skip
    after = p.intake.get("/v1/reference/languages",
                         params={"tenant": "ndi", "include_retired": "true"}).json()["items"]  # fmt: skip
    assert after == before


def test_the_public_page_language_never_refuses_a_citizen(sqlite_intake):
    """The web form sends the page's language: an English page to ndi (kk, ru) files the
    complaint with Russian (the centre's fallback); a Kazakh page keeps Kazakh."""
    p = sqlite_intake
    p.registry("tenant.onboarded", demo_spec("ndi"))
    recorded = {}
    for page in ("en", "kk"):
        body = {
            "tenant": "ndi", "office": "shymkent", "crux": "Полиция не регистрирует заявление",
            "preferred_language": page, "safe_to_contact": True,
            "contact": {"email": f"citizen-{page}@example.kz"},
        }  # fmt: skip
        sent = p.intake.post(PUBLIC, json=body, headers={"Accept-Language": page})
        assert sent.status_code == 201, sent.text
        recorded[page] = _read(p, sent.json()["id"])["preferred_language"]
    assert recorded == {"en": "ru", "kk": "kk"}
