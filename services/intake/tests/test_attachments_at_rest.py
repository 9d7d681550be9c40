"""Issue 11: attachments were stored unencrypted and survived erasure and the retention purge
(still downloadable, still on disk, file names still listed). Now each blob is encrypted under
its own key, wrapped by the tenant's data key from the vault, and erasing the complaint's
personal data deletes the files, their names and their keys. Both databases."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from alac_intake.attachments.models import Attachment
from alac_intake.attachments.service import encrypt_plaintext
from alac_intake.complaints.models import Complaint
from alac_intake.lifecycle.service import purge_expired, set_retention
from alac_kernel.db import new_id, session_scope, utcnow

URL = "/v1/complaints"
PDF = b"%PDF-1.4\n% Erlan's statement: the akim asked for 500000 tenge\n%%EOF\n"
TEXT = "Справка: Ерлан Серикович, телефон +7 701 111 22 33.\n".encode()
NAME = "%D0%95%D1%80%D0%BB%D0%B0%D0%BD.pdf"  # Ерлан.pdf


def _files(p) -> list[Path]:
    root = p.runtime.attachments.root
    return [f for f in root.rglob("*") if f.is_file()] if root.exists() else []


def _complaint(p) -> str:
    contact = {"name": "Ерлан", "phone": "+7 701 111 22 33"}
    r = p.intake.post(
        URL, json={"channel": "walk_in", "crux": "x", "contact": contact}, headers=p.headers("vera")
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _attach(p, cid: str, data: bytes, kind: str) -> str:
    r = p.intake.post(
        f"{URL}/{cid}/attachments", content=data,
        headers=p.headers("vera", **{"Content-Type": kind, "Attachment-Filename": NAME}),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _rows(p, cid: str) -> list[dict]:
    with p.runtime.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                text("select * from complaint_attachments where complaint_id = :c"), {"c": cid}
            )
        ]


def test_attachment_bytes_on_disk_are_not_the_plaintext(intake):
    p = intake
    cid = _complaint(p)
    ids = [_attach(p, cid, PDF, "application/pdf"), _attach(p, cid, TEXT, "text/plain")]
    files = _files(p)
    assert sorted(f.name for f in files) == sorted(ids)
    for f in files:
        stored = f.read_bytes()
        assert PDF not in stored and TEXT not in stored and "Ерлан".encode() not in stored
        assert b"%PDF" not in stored
    # The file key is kept only wrapped, next to the tenant's data key version.
    assert all(r["wrapped_key"] and r["key_version"] == 1 for r in _rows(p, cid))
    for aid, plain in zip(ids, (PDF, TEXT), strict=True):
        got = p.intake.get(f"{URL}/{cid}/attachments/{aid}", headers=p.headers("lena"))
        assert got.status_code == 200 and got.content == plain


def test_erasure_deletes_attachment_files_names_and_downloads(intake):
    p = intake
    cid = _complaint(p)
    keep = _complaint(p)
    aid = _attach(p, cid, PDF, "application/pdf")
    kept = _attach(p, keep, PDF, "application/pdf")  # the same file on another complaint
    erased = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert erased.status_code == 200, erased.text
    download = p.intake.get(f"{URL}/{cid}/attachments/{aid}", headers=p.headers("lena"))
    assert download.status_code in (404, 410)
    listed = p.intake.get(f"{URL}/{cid}/attachments", headers=p.headers("lena"))
    assert listed.status_code == 200 and listed.json() == []
    assert _rows(p, cid) == []
    assert [f.name for f in _files(p)] == [kept]  # nothing of the erased complaint on disk
    other = p.intake.get(f"{URL}/{keep}/attachments/{kept}", headers=p.headers("lena"))
    assert other.status_code == 200 and other.content == PDF


def test_an_anonymous_complaints_attachments_are_erased_on_request_too(sqlite_intake):
    """No contact in the vault, but the files are personal data all the same."""
    p = sqlite_intake
    r = p.intake.post(URL, json={"channel": "walk_in", "crux": "x"}, headers=p.headers("vera"))
    cid = r.json()["id"]
    _attach(p, cid, TEXT, "text/plain")
    erased = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert erased.status_code == 200, erased.text
    assert _files(p) == [] and _rows(p, cid) == []
    again = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert again.status_code == 409


def test_retention_purge_deletes_attachment_files_and_names(intake):
    p = intake
    rt = p.runtime
    old, new = _complaint(p), _complaint(p)
    gone = _attach(p, old, PDF, "application/pdf")
    stays = _attach(p, new, TEXT, "text/plain")
    with session_scope(rt.session_factory, all_tenants=True) as s:
        s.get(Complaint, old).registered_at = utcnow() - timedelta(days=40)
        set_retention(session=s, tenant="tk", days=30)
    assert purge_expired(factory=rt.session_factory, outbox=rt.outbox, store=rt.attachments) == 1
    assert [f.name for f in _files(p)] == [stays]
    assert _rows(p, old) == []
    assert p.intake.get(f"{URL}/{old}/attachments", headers=p.headers("lena")).json() == []
    r = p.intake.get(f"{URL}/{old}/attachments/{gone}", headers=p.headers("lena"))
    assert r.status_code in (404, 410)


def _legacy(p, cid: str, data: bytes) -> str:
    """An attachment as stored before encryption at rest: a plaintext blob named by sha256."""
    rt = p.runtime
    digest = hashlib.sha256(data).hexdigest()
    rt.attachments.put(digest, data)
    with session_scope(rt.session_factory, tenant="tk") as s:
        row = Attachment(
            id=new_id(), tenant_id="tk", complaint_id=cid, filename="old.pdf",
            content_type="application/pdf", size=len(data), sha256=digest, source="api",
            uploaded_by="vera-sub", stored_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        return row.id


def test_attachments_stored_before_encryption_are_encrypted_by_the_command(intake):
    p = intake
    rt = p.runtime
    cid = _complaint(p)
    old = _legacy(p, cid, PDF)
    before = p.intake.get(f"{URL}/{cid}/attachments/{old}", headers=p.headers("lena"))
    assert before.status_code == 200 and before.content == PDF  # still readable meanwhile
    report = encrypt_plaintext(
        factory=rt.session_factory, keys=rt.master_keys, store=rt.attachments
    )
    assert report == {"encrypted": 1, "missing": 0}
    (stored,) = _files(p)
    assert stored.name == old and PDF not in stored.read_bytes()
    after = p.intake.get(f"{URL}/{cid}/attachments/{old}", headers=p.headers("lena"))
    assert after.status_code == 200 and after.content == PDF
    again = encrypt_plaintext(factory=rt.session_factory, keys=rt.master_keys, store=rt.attachments)
    assert again == {"encrypted": 0, "missing": 0}


def test_a_plaintext_attachment_is_erased_with_the_personal_data(sqlite_intake):
    p = sqlite_intake
    cid = _complaint(p)
    old = _legacy(p, cid, TEXT)
    erased = p.intake.post(f"{URL}/{cid}/erase-personal-data", headers=p.headers("kazbek"))
    assert erased.status_code == 200, erased.text
    assert _files(p) == [] and _rows(p, cid) == []
    gone = p.intake.get(f"{URL}/{cid}/attachments/{old}", headers=p.headers("lena"))
    assert gone.status_code == 404


def test_cli_encrypt_attachments(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from alac_cli.main import app
    from alac_intake.app import build_runtime
    from alac_kernel.settings import Settings

    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    runtime = build_runtime(Settings(data_dir=tmp_path))
    runtime.migrate()
    runtime.close()
    result = CliRunner().invoke(app, ["intake", "encrypt-attachments"])
    assert result.exit_code == 0, result.output
    assert "encrypted 0 attachments; 0 rows without their file removed" in result.output
