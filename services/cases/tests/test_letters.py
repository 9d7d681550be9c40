"""Letters of support: rendered from the Kazakh/Russian/English templates to PDF (PT Sans
embedded, so Kazakh letters survive; text read back with pypdf), stored, recorded as a
letter_of_support action; refused without consent to documents_to_authorities and for an
anonymous complaint, with nothing written."""

from __future__ import annotations

import io

import pypdf
from cases_test_helpers import case_events, open_case, post, problem

LETTER = {
    "authority": "Алматы қаласының әкімдігі",
    "legal_assessment": "Талап заңсыз: анықтама тегін беріледі.",
    "facts": "Өтініш берушіден анықтама үшін ақша талап етілді.",
    "request": "Тексеру жүргізуді және анықтаманы беруді.",
}


def consent(platform, case: dict, scopes: list[str]) -> dict:
    response = post(
        platform,
        f"/v1/cases/{case['id']}/consents",
        "lena",
        {"scopes": scopes, "version": case["version"]},
    )
    assert response.status_code in (200, 201), response.text
    return platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena")).json()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_letters_in_kazakh_russian_and_english_are_pdfs_with_their_words(platform):
    platform.onboard_demo_tenants()  # names and partners from the registry
    case = open_case(platform, request_type="case")
    url = f"/v1/cases/{case['id']}/letters"

    refused = problem(
        post(platform, url, "lena", {**LETTER, "language": "kk", "version": case["version"]}), 409
    )
    assert refused["missing_consent"] == ["documents_to_authorities"]
    case = consent(platform, case, ["documents_to_authorities"])

    words = {
        "kk": ["ҚОЛДАУ ХАТЫ", "Құқықтық баға", "Заңгер", "әкімдігі", "анықтаманы"],
        "ru": ["ПИСЬМО ПОДДЕРЖКИ", "Правовая оценка", "просим", "Юрист"],
        "en": ["LETTER OF SUPPORT", "Legal assessment", "we ask you", "Lawyer"],
    }
    made = []
    for language, expected in words.items():
        body = {**LETTER, "language": language, "version": case["version"]}
        response = post(platform, url, "lena", body)
        assert response.status_code == 201, response.text
        letter = response.json()
        case["version"] = int(response.headers["ETag"].strip('"'))
        pdf = platform.cases.get(f"{url}/{letter['id']}.pdf", headers=platform.headers("kazbek"))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and len(pdf.content) == letter["size"]
        text = pdf_text(pdf.content)
        for word in expected + ["Transparency Kazakhstan"]:
            assert word in text, (language, word, text)
        made.append(letter)

    listed = platform.cases.get(url, headers=platform.headers("lena")).json()
    assert [x["language"] for x in listed] == ["kk", "ru", "en"]
    actions = platform.cases.get(
        f"/v1/cases/{case['id']}/actions", headers=platform.headers("lena")
    ).json()
    assert [a["action_type"] for a in actions].count("letter_of_support") == 3
    # the action's summary is in the letter's language, as the lawyer reads it in the case
    summaries = sorted(a["summary"] for a in actions if a["action_type"] == "letter_of_support")
    assert summaries == sorted(
        f"{lead}Алматы қаласының әкімдігі"
        for lead in ("Letter of support to ", "Письмо поддержки: ", "Қолдау хаты: ")
    )
    recorded = [e for e in case_events(platform, case["id"]) if e.type == "case.action_recorded"]
    assert {e.data["action_id"] for e in recorded} == {x["action_id"] for x in made}
    assert all("Талап" not in str(e.data) for e in recorded)  # letter text never in events

    # another tenant's lawyer: 404 like a missing case; a volunteer: 403
    problem(platform.cases.get(f"{url}/{made[0]['id']}.pdf", headers=platform.headers("dana")), 404)
    problem(platform.cases.get(f"{url}/{made[0]['id']}.pdf", headers=platform.headers("vera")), 403)
    problem(platform.cases.get(f"{url}/nope.pdf", headers=platform.headers("lena")), 404)


def test_no_letter_for_an_anonymous_complaint_or_bad_input(sqlite_platform):
    platform = sqlite_platform
    case = open_case(platform, request_type="case", anonymous=True)
    url = f"/v1/cases/{case['id']}/letters"
    answer = problem(
        post(platform, url, "lena", {**LETTER, "language": "ru", "version": case["version"]}), 409
    )
    assert answer["missing_consent"] == ["documents_to_authorities"]
    bad = problem(post(platform, url, "lena", {**LETTER, "language": "de", "version": 1}), 422)
    assert bad["errors"][0]["field"].endswith("language")
    assert platform.cases.get(url, headers=platform.headers("lena")).json() == []


def test_letters_only_in_the_languages_the_centre_works_in(sqlite_platform):
    """ndi works in Kazakh and Russian (its registry entry): a letter in English is refused
    naming the field, and nothing is recorded; one in Kazakh is written. tk, which works in
    all three, writes in English."""
    platform = sqlite_platform
    platform.onboard_demo_tenants()
    complaint_id = platform.receive_complaint("nurlan", request_type="case").subject
    platform.pump()
    items = platform.cases.get("/v1/cases", headers=platform.headers("dana")).json()["items"]
    (case,) = [c for c in items if c["complaint_id"] == complaint_id]
    consented = post(
        platform, f"/v1/cases/{case['id']}/consents", "dana",
        {"scopes": ["documents_to_authorities"], "version": case["version"]},
    )  # fmt: skip
    assert consented.status_code in (200, 201), consented.text
    case = platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("dana")).json()
    url = f"/v1/cases/{case['id']}/letters"

    english = {**LETTER, "language": "en", "version": case["version"]}
    refused = problem(post(platform, url, "dana", english), 422)
    assert refused["errors"] == [
        {"field": "body.language", "reason": "the centre writes letters in kk, ru only"}
    ]
    assert platform.cases.get(url, headers=platform.headers("dana")).json() == []
    unchanged = platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("dana"))
    assert unchanged.json()["version"] == case["version"]  # no action recorded either
    kazakh = post(platform, url, "dana", {**english, "language": "kk"})
    assert kazakh.status_code == 201, kazakh.text

    tk = open_case(platform, request_type="case")
    tk = consent(platform, tk, ["documents_to_authorities"])
    body = {**LETTER, "language": "en", "version": tk["version"]}
    assert post(platform, f"/v1/cases/{tk['id']}/letters", "lena", body).status_code == 201


def test_a_letter_whose_transaction_fails_leaves_no_pdf_behind(sqlite_platform, monkeypatch):
    platform = sqlite_platform
    case = consent(platform, open_case(platform, request_type="case"), ["documents_to_authorities"])
    url = f"/v1/cases/{case['id']}/letters"
    folder = platform.runtime("cases").settings.data_dir / "cases-letters"

    # Failure injected after the PDF is stored and before the commit (the audit record).
    def failing_audit(**_):
        raise RuntimeError("database went away")

    monkeypatch.setattr("alac_cases.case.commands.audit", failing_audit)
    answer = post(platform, url, "lena", {**LETTER, "language": "en", "version": case["version"]})
    assert answer.status_code == 500
    assert list(folder.rglob("*.pdf")) == []
    monkeypatch.undo()
    assert platform.cases.get(url, headers=platform.headers("lena")).json() == []

    made = post(platform, url, "lena", {**LETTER, "language": "en", "version": case["version"]})
    assert made.status_code == 201, made.text
    assert [p.stem for p in folder.rglob("*.pdf")] == [made.json()["id"]]
