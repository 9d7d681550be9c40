"""Attachments arriving by e-mail (`import_mail`) go through the same checks as uploads: size
limit, type from the bytes (a declared type that contradicts them is refused, as an upload's is
415), sha256, bytes encrypted behind the AttachmentStore. A refused attachment is skipped with a
warning naming the reason and the complaint is still created; an import transaction that fails
leaves no blob it created behind (another complaint's blob stays)."""

from __future__ import annotations

import hashlib
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from alac_intake.attachments.store import FilesystemStore
from alac_intake.channels.mail import import_mail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
EXE = b"MZ\x90\x00" + b"\x00" * 60
TEXT = "Ответ акимата прилагаю.\n".encode()


def _message(mid: str, *attachments: tuple[str, bytes, str]) -> EmailMessage:
    """A message from Айгуль with `(filename, bytes, declared type)` attachments."""
    msg = EmailMessage()
    msg["Message-ID"] = mid
    msg["From"] = "Айгуль <aigul@example.kz>"
    msg["To"] = "help@alac.example.kz"
    msg["Subject"] = "Взятка в акимате"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0500"
    msg.set_content("Требуют 50 000 тенге за справку.")
    for name, data, declared in attachments:
        maintype, subtype = declared.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _eml(tmp_path: Path, msg: EmailMessage, name: str = "m.eml") -> Path:
    path = tmp_path / name
    path.write_bytes(msg.as_bytes())
    return path


def _run(p, paths: list[Path], *, store=None, max_bytes: int | None = None):
    rt = p.runtime
    return import_mail(
        factory=rt.session_factory, outbox=rt.outbox, keys=rt.master_keys,
        store=store or rt.attachments, max_bytes=max_bytes or rt.attachment_max_bytes,
        paths=paths, tenant="tk", office="almaty",
    )  # fmt: skip


def _q(p, sql: str, **params):
    with p.runtime.engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _complaint_id(p, mid: str) -> str:
    return _q(p, "select id from complaints where external_id = :e", e=f"mail:{mid}")[0]["id"]


def _blobs(p) -> set[str]:
    """Names of the blob files in the store folder (temporary files included, if any)."""
    root = p.runtime.attachments.root
    return {f.name for f in root.rglob("*") if f.is_file()} if root.exists() else set()


def _ids(p) -> set[str]:
    """The attachments' ids: each attachment's encrypted blob is named by its id."""
    return {r["id"] for r in _q(p, "select id from complaint_attachments")}


def test_pdf_and_png_by_mail_are_stored_by_detected_type_and_sha256_and_downloadable(
    intake, tmp_path
):
    p = intake
    box = mailbox.mbox(tmp_path / "box.mbox")
    # The PNG is declared application/octet-stream (what many mail clients send): the bytes
    # decide, as for an upload.
    box.add(
        _message(
            "<pdf-png@mail.kz>",
            ("справка.pdf", PDF, "application/pdf"),
            ("фото.png", PNG, "application/octet-stream"),
        )
    )
    box.flush()
    box.close()

    report = _run(p, [tmp_path / "box.mbox"])
    assert len(report.created) == 1 and report.bad == [] and report.warnings == []
    cid = _complaint_id(p, "<pdf-png@mail.kz>")
    rows = _q(
        p,
        "select filename, content_type, size, sha256, source, uploaded_by, tenant_id "
        "from complaint_attachments where complaint_id = :c order by filename",
        c=cid,
    )
    assert [dict(r) for r in rows] == [
        {"filename": "справка.pdf", "content_type": "application/pdf", "size": len(PDF),
         "sha256": hashlib.sha256(PDF).hexdigest(), "source": "email",
         "uploaded_by": "mail-import", "tenant_id": "tk"},
        {"filename": "фото.png", "content_type": "image/png", "size": len(PNG),
         "sha256": hashlib.sha256(PNG).hexdigest(), "source": "email",
         "uploaded_by": "mail-import", "tenant_id": "tk"},
    ]  # fmt: skip
    # The bytes live encrypted in the store folder, named by the attachment id, not in the
    # database.
    assert _blobs(p) == _ids(p) and len(_ids(p)) == 2

    listed = p.intake.get(f"/v1/complaints/{cid}/attachments", headers=p.headers("vera"))
    assert listed.status_code == 200
    by_type = {a["content_type"]: a for a in listed.json()}
    assert set(by_type) == {"application/pdf", "image/png"}
    for user in ("vera", "lena", "kazbek"):  # volunteer of the office, lawyer, coordinator
        for kind, data in (("application/pdf", PDF), ("image/png", PNG)):
            r = p.intake.get(
                f"/v1/complaints/{cid}/attachments/{by_type[kind]['id']}",
                headers=p.headers(user),
            )
            assert r.status_code == 200, (user, r.text)
            assert r.content == data and r.headers["content-type"] == kind
    # Staff of another tenant: 404 like a missing complaint, for the list and the download.
    other = p.intake.get(f"/v1/complaints/{cid}/attachments", headers=p.headers("dana"))
    assert other.status_code == 404
    other = p.intake.get(
        f"/v1/complaints/{cid}/attachments/{by_type['application/pdf']['id']}",
        headers=p.headers("dana"),
    )
    assert other.status_code == 404 and other.content != PDF


def test_oversized_and_executable_attachments_are_skipped_with_reason_complaint_kept(
    sqlite_intake, tmp_path
):
    p = sqlite_intake
    big = PDF + b"%" * 2048  # a valid PDF, over the 1024-byte limit of this run
    eml = _eml(
        tmp_path,
        _message(
            "<skips@mail.kz>",
            ("большой.pdf", big, "application/pdf"),
            ("virus.exe", EXE, "application/octet-stream"),
            ("ответ.txt", TEXT, "text/plain"),
        ),
    )

    report = _run(p, [eml], max_bytes=1024)
    assert len(report.created) == 1 and report.bad == []
    warnings = sorted(w for _, w in report.warnings)
    assert len(warnings) == 2
    assert "'virus.exe' skipped" in warnings[0]
    assert "content type application/x-msdownload not allowed" in warnings[0]
    assert "'большой.pdf' skipped" in warnings[1] and "larger than 1024 bytes" in warnings[1]

    cid = _complaint_id(p, "<skips@mail.kz>")
    assert _q(p, "select crux from complaints where id = :c", c=cid)[0]["crux"] == (
        "Требуют 50 000 тенге за справку."
    )
    rows = _q(p, "select filename, content_type, sha256 from complaint_attachments")
    assert [tuple(r.values()) for r in rows] == [
        ("ответ.txt", "text/plain", hashlib.sha256(TEXT).hexdigest())
    ]
    # Refused bytes never reach the store.
    assert _blobs(p) == _ids(p) and len(_ids(p)) == 1


def test_declared_type_contradicting_the_bytes_is_refused_like_an_upload(sqlite_intake, tmp_path):
    p = sqlite_intake
    msg = _message(
        "<declared@mail.kz>",
        ("scan.jpg", PNG, "image/jpeg"),  # PNG bytes declared as JPEG: refused
        ("без-типа.pdf", PDF, "application/pdf"),  # its Content-Type header removed below
    )
    # A part without Content-Type: `email` reports the RFC default text/plain, which the sender
    # never declared; the bytes decide (it used to be refused as "declared text/plain").
    parts = list(msg.iter_attachments())
    del parts[1]["Content-Type"]
    eml = _eml(tmp_path, msg)
    assert b"application/pdf" not in eml.read_bytes()

    report = _run(p, [eml])
    assert len(report.created) == 1 and report.bad == []
    [(_, warning)] = report.warnings
    cid = _complaint_id(p, "<declared@mail.kz>")
    # The upload path answers the same bytes and declared type with 415 and this reason.
    upload = p.intake.post(
        f"/v1/complaints/{cid}/attachments",
        content=PNG,
        headers=p.headers("vera", **{"Content-Type": "image/jpeg"}),
    )
    assert upload.status_code == 415
    [error] = upload.json()["errors"]
    assert error == {"field": "header.Content-Type", "reason": "declared image/jpeg, is image/png"}
    assert "'scan.jpg' skipped" in warning and error["reason"] in warning
    rows = _q(p, "select filename, content_type from complaint_attachments")
    assert [tuple(r.values()) for r in rows] == [("без-типа.pdf", "application/pdf")]
    assert _blobs(p) == _ids(p) and len(_ids(p)) == 1


class DiskFullStore(FilesystemStore):
    """The real filesystem store on the real folder, except that writing `fail_on` fails as a
    full disk would. An injected fault: no real input makes the import transaction fail after
    an attachment was written (the complaint and its checks come first), but a store failing
    mid-message (disk full, network share gone) is a real-world failure."""

    def __init__(self, root: Path, *, fail_on: int) -> None:
        super().__init__(root)
        self.fail_on, self.calls = fail_on, 0  # the n-th write fails (blobs are ciphertext)

    def put(self, name: str, data: bytes) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise OSError(28, "No space left on device")
        super().put(name, data)


def test_failed_import_transaction_leaves_no_orphan_blob(intake, tmp_path):
    p = intake
    rt = p.runtime
    # The same PDF is already stored for another complaint (uploaded by staff): the failed
    # import must not delete it.
    other = p.intake.post(
        "/v1/complaints", json={"channel": "walk_in", "crux": "x"}, headers=p.headers("vera")
    ).json()["id"]
    up = p.intake.post(
        f"/v1/complaints/{other}/attachments",
        content=PDF,
        headers=p.headers("vera", **{"Content-Type": "application/pdf"}),
    )
    assert up.status_code == 201, up.text
    before = _blobs(p)
    assert before == _ids(p) and len(before) == 1
    complaints_before = _q(p, "select count(*) as n from complaints")[0]["n"]
    outbox_before = _q(p, "select count(*) as n from outbox")[0]["n"]

    # PDF and PNG (written to the store), then the text whose write fails after both blobs
    # exist.
    eml = _eml(
        tmp_path,
        _message(
            "<fails@mail.kz>",
            ("справка.pdf", PDF, "application/pdf"),
            ("фото.png", PNG, "image/png"),
            ("ответ.txt", TEXT, "text/plain"),
        ),
    )
    failing = DiskFullStore(rt.attachments.root, fail_on=3)
    with pytest.raises(OSError, match="No space left"):
        _run(p, [eml], store=failing)

    # Nothing of the message was committed, and the PNG blob written for it is gone; the
    # other complaint's PDF stays and still downloads.
    assert _q(p, "select count(*) as n from complaints")[0]["n"] == complaints_before
    assert _q(p, "select count(*) as n from outbox")[0]["n"] == outbox_before
    assert _q(p, "select count(*) as n from complaint_attachments")[0]["n"] == 1
    assert _blobs(p) == before
    r = p.intake.get(
        f"/v1/complaints/{other}/attachments/{up.json()['id']}", headers=p.headers("vera")
    )
    assert r.status_code == 200 and r.content == PDF

    # Once the disk has room again, a re-run imports the message whole (nothing half-done
    # blocks it): three attachments, each with its own encrypted blob.
    report = _run(p, [eml])
    assert len(report.created) == 1 and report.bad == [] and report.warnings == []
    cid = _complaint_id(p, "<fails@mail.kz>")
    rows = _q(p, "select sha256 from complaint_attachments where complaint_id = :c", c=cid)
    assert sorted(r["sha256"] for r in rows) == sorted(
        hashlib.sha256(d).hexdigest() for d in (PDF, PNG, TEXT)
    )
    assert _blobs(p) == _ids(p) and len(_ids(p)) == 4
