"""Issue 11: letter PDFs were stored unencrypted and survived erasure (still downloadable,
still on disk). Now each PDF is encrypted under its own key, wrapped by the tenant's letter key
in cases' database (under ALAC_CASES_MASTER_KEY), and complaint.personal_data_purged from
intake deletes the PDFs and their keys. Through the bus, on both databases."""

from __future__ import annotations

from cases_test_helpers import open_case, post, problem
from sqlalchemy import text
from test_letters import LETTER, consent, pdf_text


def _letter(platform, case: dict) -> tuple[dict, str]:
    url = f"/v1/cases/{case['id']}/letters"
    made = post(platform, url, "lena", {**LETTER, "language": "ru", "version": case["version"]})
    assert made.status_code == 201, made.text
    return made.json(), url


def _letter_files(platform):
    folder = platform.runtime("cases").settings.data_dir / "cases-letters"
    return sorted(f for f in folder.rglob("*") if f.is_file()) if folder.exists() else []


def test_letter_pdfs_on_disk_are_not_the_plaintext(platform):
    case = consent(
        platform, open_case(platform, request_type="case"),
        ["documents_to_authorities"],
    )  # fmt: skip
    letter, url = _letter(platform, case)
    (stored,) = _letter_files(platform)
    assert stored.stem == letter["id"]
    raw = stored.read_bytes()
    assert not raw.startswith(b"%PDF") and b"%PDF" not in raw and b"/Font" not in raw
    with platform.runtime("cases").engine.connect() as conn:
        row = conn.execute(
            text("select key_version, wrapped_key from case_letters where id = :i"),
            {"i": letter["id"]},
        ).one()
        wrapped = conn.execute(text("select wrapped from case_tenant_keys")).scalars().all()
    assert row.key_version == 1 and row.wrapped_key and len(wrapped) == 1
    pdf = platform.cases.get(f"{url}/{letter['id']}.pdf", headers=platform.headers("lena"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert len(pdf.content) == letter["size"] and "анықтаманы" in pdf_text(pdf.content)


def test_erasure_deletes_the_letters_pdfs_and_keys(platform):
    erased_case = consent(
        platform, open_case(platform, request_type="case"),
        ["documents_to_authorities"],
    )  # fmt: skip
    kept_case = consent(
        platform, open_case(platform, request_type="case"),
        ["documents_to_authorities"],
    )  # fmt: skip
    gone, url = _letter(platform, erased_case)
    kept, kept_url = _letter(platform, kept_case)
    assert len(_letter_files(platform)) == 2

    # Intake erases the complaint's personal data: complaint.personal_data_purged reaches cases.
    platform.purge(platform.complaint_of(erased_case))
    platform.pump()

    answer = platform.cases.get(f"{url}/{gone['id']}.pdf", headers=platform.headers("lena"))
    problem(answer, 410)
    assert [f.stem for f in _letter_files(platform)] == [kept["id"]]
    with platform.runtime("cases").engine.connect() as conn:
        row = conn.execute(
            text("select key_version, wrapped_key, erased_at from case_letters where id = :i"),
            {"i": gone["id"]},
        ).one()
    assert row.key_version is None and row.wrapped_key is None and row.erased_at is not None
    (listed,) = platform.cases.get(url, headers=platform.headers("lena")).json()
    assert listed["id"] == gone["id"] and listed["erased_at"]
    # The other complaint's letter is untouched.
    still = platform.cases.get(f"{kept_url}/{kept['id']}.pdf", headers=platform.headers("lena"))
    assert still.status_code == 200 and still.content.startswith(b"%PDF")


def test_letters_stored_in_plaintext_before_encryption_are_encrypted_by_the_command(platform):
    """Issue 11 item 3: PDFs written before encryption at rest stay plaintext on disk until
    `alac cases encrypt-letters` (letters.service.encrypt_plaintext) encrypts them in place;
    downloads answer the same PDF before and after, and a second run finds nothing to do."""
    from alac_cases.letters.service import encrypt_plaintext
    from alac_cases.letters.store import letter_store_for

    runtime = platform.runtime("cases")
    store = letter_store_for(runtime.settings)
    made = []
    for _ in range(3):
        case = consent(
            platform, open_case(platform, request_type="case"),
            ["documents_to_authorities"],
        )  # fmt: skip
        made.append(_letter(platform, case))
    originals = {}
    for letter, url in made:
        pdf = platform.cases.get(f"{url}/{letter['id']}.pdf", headers=platform.headers("lena"))
        originals[letter["id"]] = pdf.content
    # As a letter written before revision 8d3e5f7a9b10: a plaintext file, no key in its row.
    with runtime.engine.begin() as conn:
        conn.execute(text("update case_letters set wrapped_key = null, key_version = null"))
    for letter, _ in made:
        store.put(tenant="tk", letter_id=letter["id"], data=originals[letter["id"]])
    interrupted = made[2][0]["id"]  # used for the interrupted run below
    assert all(f.read_bytes().startswith(b"%PDF") for f in _letter_files(platform))
    for letter, url in made:  # legacy files are still served
        pdf = platform.cases.get(f"{url}/{letter['id']}.pdf", headers=platform.headers("lena"))
        assert pdf.status_code == 200 and pdf.content == originals[letter["id"]]

    report = encrypt_plaintext(
        factory=runtime.session_factory, keys=runtime.master_keys, store=store, batch_size=2
    )
    assert report == {"encrypted": 3, "missing": 0}
    for stored in _letter_files(platform):
        raw = stored.read_bytes()
        assert not raw.startswith(b"%PDF") and b"/Font" not in raw
    for letter, url in made:
        pdf = platform.cases.get(f"{url}/{letter['id']}.pdf", headers=platform.headers("lena"))
        assert pdf.status_code == 200 and pdf.content == originals[letter["id"]]
    assert encrypt_plaintext(
        factory=runtime.session_factory, keys=runtime.master_keys, store=store
    ) == {"encrypted": 0, "missing": 0}

    # A run stopped between the commit and the rewrite: the next run finishes the file.
    store.put(tenant="tk", letter_id=interrupted, data=originals[interrupted])
    url = made[2][1]
    pdf = platform.cases.get(f"{url}/{interrupted}.pdf", headers=platform.headers("lena"))
    assert pdf.content == originals[interrupted]
    assert encrypt_plaintext(
        factory=runtime.session_factory, keys=runtime.master_keys, store=store
    ) == {"encrypted": 1, "missing": 0}
    assert not store.get(tenant="tk", letter_id=interrupted).startswith(b"%PDF")
    pdf = platform.cases.get(f"{url}/{interrupted}.pdf", headers=platform.headers("lena"))
    assert pdf.content == originals[interrupted]
