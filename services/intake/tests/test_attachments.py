"""Attachments: type from the bytes (415 otherwise), size limit (413), sha256, bytes encrypted
in the store outside the database, download by staff of the same tenant only."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
TEXT = "Справка из акимата.\n".encode()


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _complaint(p) -> str:
    r = p.intake.post(
        "/v1/complaints", json={"channel": "walk_in", "crux": "x"}, headers=p.headers("vera")
    )
    return r.json()["id"]


def _count(p) -> int:
    with p.runtime.engine.connect() as conn:
        return conn.execute(text("select count(*) from complaint_attachments")).scalar_one()


def _blobs(p) -> list[Path]:
    root = p.runtime.attachments.root
    return [f for f in root.rglob("*") if f.is_file()] if root.exists() else []


def test_upload_detects_type_stores_sha256_outside_db_and_downloads(sqlite_intake):
    p = sqlite_intake
    cid = _complaint(p)
    r = p.intake.post(
        f"/v1/complaints/{cid}/attachments", content=PDF,
        headers=p.headers("vera", **{"Content-Type": "application/pdf", "Attachment-Filename": "%D0%B6%D0%B0%D0%BB%D0%BE%D0%B1%D0%B0.pdf"}),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["content_type"] == "application/pdf" and body["filename"] == "жалоба.pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    root = p.runtime.attachments.root
    blob = root / body["id"][:2] / body["id"][2:4] / body["id"]
    assert _blobs(p) == [blob] and PDF not in blob.read_bytes()  # encrypted at rest
    listed = p.intake.get(f"/v1/complaints/{cid}/attachments", headers=p.headers("lena"))
    assert [a["id"] for a in listed.json()] == [body["id"]]
    got = p.intake.get(f"/v1/complaints/{cid}/attachments/{body['id']}", headers=p.headers("lena"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    # Another tenant: the same 404 as a missing complaint.
    other = p.intake.get(
        f"/v1/complaints/{cid}/attachments/{body['id']}", headers=p.headers("dana")
    )
    assert other.status_code == 404
    assert (
        p.intake.get(f"/v1/complaints/{cid}/attachments", headers=p.headers("dana")).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("data", "declared", "kind"),
    [
        (PNG, "image/png", "image/png"),
        (JPEG, "application/octet-stream", "image/jpeg"),  # unspecific: the bytes decide
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        (TEXT, "text/plain; charset=utf-8", "text/plain"),
    ],
    ids=["png", "jpeg-octet", "docx", "text"],
)
def test_allowed_types_are_accepted(sqlite_intake, data, declared, kind):
    p = sqlite_intake
    r = p.intake.post(
        f"/v1/complaints/{_complaint(p)}/attachments", content=data,
        headers=p.headers("vera", **{"Content-Type": declared}),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == (kind or declared)


@pytest.mark.parametrize(
    ("data", "declared", "status", "field"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "application/pdf", 415, "body"),  # a Windows program
        (b"\x00\x01\x02binary", "application/octet-stream", 415, "body"),  # unknown bytes
        (PNG, "application/pdf", 415, "header.Content-Type"),  # a PNG pretending to be a PDF
        (b"%PDF-" + b"x" * 5000, "application/pdf", 413, "body"),  # over the limit of 4000
        (b"", "text/plain", 422, "body"),
    ],
    ids=["exe", "unknown", "mismatch", "too-large", "empty"],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(
    sqlite_intake, data, declared, status, field
):
    p = sqlite_intake
    p.runtime.attachment_max_bytes = 4000
    cid = _complaint(p)
    r = p.intake.post(
        f"/v1/complaints/{cid}/attachments", content=data,
        headers=p.headers("vera", **{"Content-Type": declared}),
    )  # fmt: skip
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field
    assert _count(p) == 0 and _blobs(p) == []


def test_upload_to_another_tenants_complaint_is_404_and_stores_nothing(sqlite_intake):
    p = sqlite_intake
    cid = _complaint(p)
    r = p.intake.post(
        f"/v1/complaints/{cid}/attachments", content=PDF,
        headers=p.headers("nurlan", **{"Content-Type": "application/pdf"}),
    )  # fmt: skip
    assert r.status_code == 404
    assert _count(p) == 0 and _blobs(p) == []


def _public_complaint(p) -> tuple[str, str]:
    r = p.intake.post(
        "/v1/public/complaints",
        json={"tenant": "tk", "office": "almaty", "crux": "Требуют взятку.", "anonymous": True},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["receipt_code"]


def test_the_complainant_attaches_a_file_with_the_receipt_code(sqlite_intake):
    p = sqlite_intake
    cid, code = _public_complaint(p)
    sent = p.intake.post(
        "/v1/follow-up/attachments", content=PDF,
        headers={"Receipt-Code": code, "Content-Type": "application/pdf",
                 "Attachment-Filename": "%D1%87%D0%B5%D0%BA.pdf"},
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    assert sent.json()["filename"] == "чек.pdf"
    assert sent.json()["content_type"] == "application/pdf"
    # staff see it with the complaint and download the same bytes
    (listed,) = p.intake.get(f"/v1/complaints/{cid}/attachments", headers=p.headers("lena")).json()
    got = p.intake.get(
        f"/v1/complaints/{cid}/attachments/{listed['id']}", headers=p.headers("lena")
    )
    assert got.content == PDF
    with p.runtime.engine.connect() as conn:
        assert conn.execute(
            text("select source, uploaded_by from complaint_attachments")
        ).one() == ("complainant", "complainant")


def test_the_complainants_upload_gets_the_same_checks_and_a_rate_limit(sqlite_intake):
    p = sqlite_intake
    rt = p.runtime
    _, code = _public_complaint(p)
    # a type not allowed (sniffed from the bytes), a lying Content-Type, too large, empty
    exe = p.intake.post(
        "/v1/follow-up/attachments", content=b"MZ\x90\x00" + b"\x00" * 60,
        headers={"Receipt-Code": code, "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert exe.status_code == 415 and exe.json()["errors"][0]["field"] == "body"
    lying = p.intake.post(
        "/v1/follow-up/attachments", content=PNG,
        headers={"Receipt-Code": code, "Content-Type": "application/pdf"},
    )  # fmt: skip
    assert lying.status_code == 415
    assert lying.json()["errors"][0]["field"] == "header.Content-Type"
    rt.attachment_max_bytes = 10
    large = p.intake.post("/v1/follow-up/attachments", content=PDF, headers={"Receipt-Code": code})
    assert large.status_code == 413 and "larger than 10 bytes" in large.text
    rt.attachment_max_bytes = 1_000_000
    empty = p.intake.post("/v1/follow-up/attachments", content=b"", headers={"Receipt-Code": code})
    assert empty.status_code == 422
    wrong = p.intake.post(
        "/v1/follow-up/attachments", content=PDF, headers={"Receipt-Code": "AAAAA-BBBBB"}
    )
    assert wrong.status_code == 404
    assert _count(p) == 0 and _blobs(p) == []  # nothing stored on any refusal
    # over the per-address budget: 429 with Retry-After, even with the right code
    rt.limits.public_attachments.limit = 5  # the five refused tries above counted
    over = p.intake.post("/v1/follow-up/attachments", content=PDF, headers={"Receipt-Code": code})
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert _count(p) == 0
    # a withdrawn complaint takes no more files
    rt.limits.public_attachments.limit = 100
    assert p.intake.post(
        "/v1/follow-up/withdraw", json={}, headers={"Receipt-Code": code}
    ).status_code == 200  # fmt: skip
    late = p.intake.post(
        "/v1/follow-up/attachments", content=PDF,
        headers={"Receipt-Code": code, "Accept-Language": "ru"},
    )  # fmt: skip
    assert late.status_code == 409 and "отозвано" in late.json()["detail"]
