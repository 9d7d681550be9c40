"""`alac intake import-mail`: .eml files and mboxes become e-mail complaints with their
attachments and the sender in the vault; idempotent by Message-ID; bad messages skipped with
their reason."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from alac_intake.channels.mail import html_to_text, import_mail
from alac_kernel.settings import Settings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _message(mid: str | None, *, subject="Взятка в акимате", body="Требуют 50 000 тенге.", html=None,
             sender="Айгуль <aigul@example.kz>", attach=()) -> EmailMessage:  # fmt: skip
    msg = EmailMessage()
    if mid:
        msg["Message-ID"] = mid
    msg["From"] = sender
    msg["To"] = "help@alac.example.kz"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0500"
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, data, maintype, subtype in attach:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _run(p, paths: list[Path]):
    rt = p.runtime
    return import_mail(
        factory=rt.session_factory, outbox=rt.outbox, keys=rt.master_keys, store=rt.attachments,
        max_bytes=rt.attachment_max_bytes, paths=paths, tenant="tk", office="almaty",
    )  # fmt: skip


def _q(p, sql: str):
    with p.runtime.engine.connect() as conn:
        return conn.execute(text(sql)).mappings().all()


def test_eml_and_mbox_become_email_complaints_with_attachments_once(intake, tmp_path):
    p = intake
    eml = tmp_path / "one.eml"
    eml.write_bytes(
        _message(
            "<one@mail.kz>",
            attach=[
                ("справка.pdf", PDF, "application", "pdf"),
                ("virus.exe", b"MZ\x90\x00" + b"\x00" * 60, "application", "octet-stream"),
            ],
        ).as_bytes()  # fmt: skip
    )
    box = mailbox.mbox(tmp_path / "box.mbox")
    box.add(
        _message(
            "<two@mail.kz>",
            body=None,
            html="<p>Судья <b>просит</b></p><script>x()</script><p>деньги</p>",
        )
    )
    box.add(_message(None))  # no Message-ID: cannot be imported only once
    box.add(_message("<four@mail.kz>", subject="", body="", sender="nobody"))  # nothing to say
    box.flush()
    box.close()

    report = _run(p, [eml, tmp_path / "box.mbox"])
    assert len(report.created) == 2 and report.already == []
    assert sorted(r for _, r in report.bad) == [
        "neither a text body nor a subject",
        "no Message-ID header (needed to import only once)",
    ]
    assert any("virus.exe" in w for _, w in report.warnings)
    one = _q(p, "select * from complaints where external_id = 'mail:<one@mail.kz>'")[0]
    assert (one["channel"], one["crux"], one["help_requested"]) == (
        "email",
        "Требуют 50 000 тенге.",
        "Взятка в акимате",
    )
    assert str(one["received_at"]).startswith("2026-11-02") and "05:00:00" in str(
        one["received_at"]
    )
    two = _q(p, "select * from complaints where external_id = 'mail:<two@mail.kz>'")[0]
    assert two["crux"] == "Судья просит\nденьги"
    files = _q(p, "select * from complaint_attachments")
    assert [(f["filename"], f["content_type"], f["source"], f["complaint_id"]) for f in files] == [
        ("справка.pdf", "application/pdf", "email", one["id"])
    ]
    download = p.intake.get(
        f"/v1/complaints/{one['id']}/attachments/{files[0]['id']}", headers=p.headers("kazbek")
    )
    assert download.status_code == 200 and download.content == PDF
    contact = p.intake.get(
        f"/v1/complaints/{one['id']}/contact", headers=p.headers("kazbek")
    ).json()
    assert (contact["email"], contact["name"]) == ("aigul@example.kz", "Айгуль")
    received = p.events("complaint.received")
    assert sorted(e.data["complaint_id"] for e in received) == sorted([one["id"], two["id"]])
    assert all(e.data["channel"] == "email" and "aigul" not in str(e.data) for e in received)

    again = _run(p, [eml, tmp_path / "box.mbox"])
    assert again.created == [] and sorted(again.already) == ["<one@mail.kz>", "<two@mail.kz>"]
    assert _q(p, "select count(*) as n from complaints")[0]["n"] == 2
    assert len(_q(p, "select id from complaint_attachments")) == 1


def test_html_to_text_keeps_words_and_breaks():
    assert html_to_text("<div>a<br>b</div><style>x{}</style><p> c  d </p>") == "a\nb\nc d"


def test_cli_import_mail(tmp_path, monkeypatch):
    from alac_cli.main import app
    from alac_intake.app import build_runtime

    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    runtime = build_runtime(Settings(data_dir=tmp_path))
    runtime.migrate()
    runtime.close()
    eml = tmp_path / "m.eml"
    eml.write_bytes(_message("<cli@mail.kz>").as_bytes())
    args = ["intake", "import-mail", str(eml), "--tenant", "tk", "--office", "almaty"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 created, 0 already imported, 0 skipped" in first.output
    assert "receipt code" in first.output
    second = CliRunner().invoke(app, args)
    assert "0 created, 1 already imported" in second.output
    bad = CliRunner().invoke(app, [*args[:3], "--tenant", "tk", "--office", "shymkent"])
    assert bad.exit_code == 2 and "--office" in bad.output
