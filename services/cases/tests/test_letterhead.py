"""A letter of support as an outgoing letter: the tenant's letterhead (its name in the letter's
language, address, phone and e-mail, as the tenant registry holds them from onboarding), a
reference number per tenant and year, the date written in the letter's language, the addressee
block, and a signature block with the lawyer's name and position (from the staff registry,
else the `name` claim of their token; never the office code). Read back from the PDF with
pypdf. The reference numbers are then drawn concurrently on PostgreSQL: unique and gap-free."""

from __future__ import annotations

import base64
import io
import threading
from datetime import datetime

import pypdf
import pytest
import sqlalchemy as sa
from cases_test_helpers import open_case, post
from sqlalchemy.orm import Session

from alac_cases.deadlines.calendar import KZ
from alac_cases.letters import references
from alac_cases.letters.models import LetterSequence
from alac_cli import demo
from alac_kernel.events import Event
from alac_kernel.testing.postgres import fresh_database

LETTER = {
    "authority": "Аким города Алматы\nАкимат города Алматы",
    "addressee_address": "пл. Республики, 4, Алматы, 050001",
    "legal_assessment": "Требование незаконно: справка выдаётся бесплатно.",
    "facts": "У заявителя потребовали деньги за справку.",
    "request": "Провести проверку и выдать справку.",
}
MONTHS = {
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "kk": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан",
    "en": "January February March April May June July August September October November December",
}


def written(day, language: str) -> str:
    month = MONTHS[language].split()[day.month - 1]
    if language == "kk":
        return f"{day.year} ж. {day.day} {month}"
    return f"{day.day} {month} {day.year}" + (" г." if language == "ru" else "")


def pdf_text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u202f", " ").replace("\xa0", " ")


def consented_case(platform) -> dict:
    case = open_case(platform, request_type="case")
    response = post(
        platform,
        f"/v1/cases/{case['id']}/consents",
        "lena",
        {"scopes": ["documents_to_authorities"], "version": case["version"]},
    )
    assert response.status_code in (200, 201), response.text
    return platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers("lena")).json()


def onboard_with_letterhead(platform, monkeypatch) -> None:
    """Onboard the demo centres through the registry (POST /v1/tenants), tk with its
    letterhead and names that differ by language."""
    centres = demo.demo_centres()

    def with_letterhead() -> list[dict]:
        for body in centres:
            if body["id"] == "tk":
                body["names"] = {
                    "kk": "Транспаренси Қазақстан",
                    "ru": "Трансперенси Казахстан",
                    "en": "Transparency Kazakhstan",
                }
                body["letterhead"] = {
                    "address": "ул. Курмангазы, 61А\nАлматы, 050000",
                    "phone": "+7 727 000 00 00",
                    "email": "office@tk.example.org",
                }
        return centres

    monkeypatch.setattr(demo, "demo_centres", with_letterhead)
    platform.onboard_demo_tenants()


def test_letterhead_reference_date_addressee_and_signature(sqlite_platform, monkeypatch):
    platform = sqlite_platform
    onboard_with_letterhead(platform, monkeypatch)

    case = consented_case(platform)
    url = f"/v1/cases/{case['id']}/letters"
    today = datetime.now(KZ).date()

    def letter(language: str, user: str = "lena") -> tuple[dict, str, bytes]:
        body = {**LETTER, "language": language, "version": case["version"]}
        response = post(platform, url, user, body)
        assert response.status_code == 201, response.text
        case["version"] = int(response.headers["ETag"].strip('"'))
        made = response.json()
        pdf = platform.cases.get(f"{url}/{made['id']}.pdf", headers=platform.headers("kazbek"))
        assert pdf.status_code == 200
        return made, pdf_text(pdf.content), pdf.content

    # The staff registry has no name or position for Lena yet: the `name` claim of her token
    # (the identity provider's display name) signs, under the default position; never the
    # office code.
    first, text, _ = letter("ru")
    assert first["reference"] == f"TK-{today.year}/0001"
    for part in (
        "Трансперенси Казахстан",
        "ул. Курмангазы, 61А",
        "Алматы, 050000",
        "+7 727 000 00 00",
        "office@tk.example.org",
        f"Исх. № TK-{today.year}/0001",
        written(today, "ru"),
        "Аким города Алматы",
        "Акимат города Алматы",
        "пл. Республики, 4, Алматы, 050001",
        "ПИСЬМО ПОДДЕРЖКИ",
        "Юрист",
        "Lena Demo",
        "(подпись)",
    ):
        assert part in text, (part, text)
    assert "(almaty)" not in text and "almaty" not in text.split()
    assert "Transparency Kazakhstan" not in text  # the Russian name in a Russian letter

    # Registered with her name and position: they sign from now on, in every language.
    registered = post(
        platform,
        "/v1/staff",
        "tamara",
        {
            "subject": first["created_by"],
            "office": "almaty",
            "role": "lawyer",
            "display_name": "Алия Сапарова",
            "position": "Юрист-консультант",
        },
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["position"] == "Юрист-консультант"
    assert registered.json()["display_name"] == "Алия Сапарова"
    for number, language, label in ((2, "kk", "Шығыс №"), (3, "en", "Ref. No.")):
        made, text, _ = letter(language)
        assert made["reference"] == f"TK-{today.year}/{number:04d}"
        assert f"{label} TK-{today.year}/{number:04d}" in text
        assert written(today, language) in text, (language, text)
        assert "Алия Сапарова" in text and "Юрист-консультант" in text
        centre = "Транспаренси Қазақстан" if language == "kk" else "Transparency Kazakhstan"
        assert centre in text, (language, text)

    # Another tenant counts its own letters from 1.
    listed = platform.cases.get(url, headers=platform.headers("lena")).json()
    assert [x["reference"] for x in listed] == [f"TK-{today.year}/{n:04d}" for n in (1, 2, 3)]


def test_a_letter_is_signed_with_the_name_claim_when_the_registry_has_none(sqlite_platform):
    platform = sqlite_platform
    case = consented_case(platform)
    dev = platform.issuer.dev
    claims = dev.user_claims(dev.users["lena"])
    claims["name"] = "Елена Ким"
    token = dev.sign(claims)
    response = platform.cases.post(
        f"/v1/cases/{case['id']}/letters",
        json={**LETTER, "language": "en", "version": case["version"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    pdf = platform.cases.get(
        f"/v1/cases/{case['id']}/letters/{response.json()['id']}.pdf",
        headers=platform.headers("lena"),
    )
    text = pdf_text(pdf.content)
    assert "Елена Ким" in text and "Lawyer" in text and "(signature)" in text


def test_without_a_name_anywhere_the_username_signs(sqlite_platform):
    platform = sqlite_platform
    case = consented_case(platform)
    dev = platform.issuer.dev
    claims = dev.user_claims(dev.users["lena"])
    for claim in ("name", "given_name", "family_name"):
        claims.pop(claim, None)
    response = platform.cases.post(
        f"/v1/cases/{case['id']}/letters",
        json={**LETTER, "language": "en", "version": case["version"]},
        headers={"Authorization": f"Bearer {dev.sign(claims)}"},
    )
    assert response.status_code == 201, response.text
    pdf = platform.cases.get(
        f"/v1/cases/{case['id']}/letters/{response.json()['id']}.pdf",
        headers=platform.headers("lena"),
    )
    text = pdf_text(pdf.content)
    assert "lena" in text.split() and "Lena Demo" not in text and "almaty" not in text.split()


@pytest.mark.postgres
def test_reference_numbers_are_unique_and_gap_free_under_concurrency():
    with fresh_database("alac_letters") as url:
        engine = sa.create_engine(url, pool_size=10)
        LetterSequence.__table__.create(engine)
        taken: list[int] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def write(worker: int) -> None:
            start.wait()
            for i in range(10):
                with Session(engine) as session:
                    number = references.next_number(session, tenant="tk", year=2026)
                    if (worker + i) % 4 == 0:
                        session.rollback()  # the letter failed: its number goes back
                        continue
                    session.commit()
                    with lock:
                        taken.append(number)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Session(engine) as session:
            other = references.next_number(session, tenant="ndi", year=2026)
            session.commit()
        engine.dispose()
    assert len(taken) == 60
    assert sorted(taken) == list(range(1, 61))  # no number twice, none skipped
    assert other == 1


def png(width: int, height: int) -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_the_registrys_logo_tops_the_letter_and_stays_out_of_events(sqlite_platform, monkeypatch):
    platform = sqlite_platform
    centres = demo.demo_centres()
    for body in centres:
        if body["id"] == "tk":
            body["letterhead"] = {"address": "Алматы", "logo_png": png(120, 60)}
    monkeypatch.setattr(demo, "demo_centres", lambda: centres)
    platform.onboard_demo_tenants()
    outbox = platform.runtime("cases").tables.outbox
    with platform.runtime("cases").engine.connect() as conn:
        payloads = conn.execute(sa.select(outbox.c.payload)).scalars().all()
    (onboarded,) = [
        e for e in map(Event.from_json, payloads)
        if e.type == "tenant.onboarded" and e.subject == "tk"
    ]  # fmt: skip
    assert onboarded.data["tenant"]["letterhead"] == {
        "address": "Алматы", "phone": None, "email": None, "signatory_title": None,
    }  # fmt: skip

    case = consented_case(platform)
    url = f"/v1/cases/{case['id']}/letters"

    def images_of_a_letter() -> list:
        body = {**LETTER, "language": "kk", "version": case["version"]}
        made = post(platform, url, "lena", body)
        assert made.status_code == 201, made.text
        case["version"] = int(made.headers["ETag"].strip('"'))
        pdf = platform.cases.get(
            f"{url}/{made.json()['id']}.pdf", headers=platform.headers("kazbek")
        )
        return list(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].images)

    (logo,) = images_of_a_letter()
    assert logo.image.size == (120, 60)

    pavel = platform.headers("pavel")
    etag = platform.cases.get("/v1/tenants/tk", headers=pavel).headers["ETag"]
    bad = platform.cases.patch(
        "/v1/tenants/tk", json={"letterhead": {"logo_png": base64.b64encode(b"GIF89a").decode()}},
        headers=pavel | {"If-Match": etag},
    )  # fmt: skip
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0]["field"] == "body.letterhead.logo_png"
    assert "not a PNG" in bad.json()["errors"][0]["reason"]
    plain = platform.cases.patch(
        "/v1/tenants/tk", json={"letterhead": {"address": "Алматы"}},
        headers=pavel | {"If-Match": etag},
    )  # fmt: skip
    assert plain.status_code == 200, plain.text
    assert images_of_a_letter() == []
