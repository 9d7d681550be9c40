"""E-mail: RFC 5322 messages (.eml files or an mbox) become complaints with their attachments.

Idempotent by Message-ID (stored as external_id `mail:<id>`): a second run creates nothing.
Each message is its own transaction; a bad one is reported with its reason and skipped."""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.attachments import service as attachments
from alac_intake.attachments.store import AttachmentStore
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ComplaintCreate, ContactDetails
from alac_intake.complaints.service import register_complaint
from alac_intake.vault.crypto import MasterKeys
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import DomainError
from alac_kernel.outbox import Outbox

IMPORTER = "mail-import"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Text(HTMLParser):
    """HTML to plain text: text nodes, line breaks at block ends, scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line).strip()


@dataclass
class MailReport:
    created: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, id, code)
    already: list[str] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def messages(paths: list[Path]) -> Iterator[tuple[str, EmailMessage]]:
    """(where, message) for every .eml file and every message of an mbox."""
    for path in paths:
        with open(path, "rb") as handle:
            head = handle.read(5)
        if head == b"From ":
            box = mailbox.mbox(path, create=False)
            try:
                # Each message's bytes parsed with the modern policy (an EmailMessage).
                for i, key in enumerate(box.iterkeys()):
                    yield (
                        f"{path}#{i + 1}",
                        email.message_from_bytes(box.get_bytes(key), policy=policy.default),
                    )
            finally:
                box.close()
        else:
            with open(path, "rb") as handle:
                yield str(path), email.message_from_binary_file(handle, policy=policy.default)


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.strip()


def _received_at(msg: EmailMessage) -> datetime | None:
    raw = msg.get("Date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(when.astimezone(UTC), datetime.now(UTC))


def import_mail(
    *,
    factory: sessionmaker[Session],
    outbox: Outbox,
    keys: MasterKeys,
    store: AttachmentStore,
    max_bytes: int,
    paths: list[Path],
    tenant: str,
    office: str,
) -> MailReport:
    report = MailReport()
    principal = Principal(
        subject=IMPORTER, username=None, tenant=tenant, office=office, roles=frozenset(),
        client_id=None, token_id=None,
    )  # fmt: skip
    for where, msg in messages(paths):
        message_id = str(msg.get("Message-ID") or "").strip()
        if not message_id:
            report.bad.append((where, "no Message-ID header (needed to import only once)"))
            continue
        external_id = f"mail:{message_id}"[:300]
        try:
            body = _body(msg)
        except (KeyError, LookupError, UnicodeError) as exc:
            report.bad.append((where, f"unreadable body: {exc}"))
            continue
        subject = " ".join(str(msg.get("Subject") or "").split())
        crux, help_requested = (body, subject or None) if body else (subject, None)
        if not crux:
            report.bad.append((where, "neither a text body nor a subject"))
            continue
        name, address = parseaddr(str(msg.get("From") or ""))
        contact = None
        if EMAIL_RE.match(address or ""):
            contact = {"email": address, **({"name": name[:300]} if name else {})}
        else:
            report.warnings.append(
                (where, f"sender {address!r} is not an e-mail address; no contact")
            )
        files = []
        for part in msg.iter_attachments():
            payload = part.get_payload(decode=True)  # None for a multipart attachment
            data = payload if isinstance(payload, bytes) else b""
            label = part.get_filename() or "attachment"
            # Without a Content-Type header `email` reports the RFC default text/plain, which
            # the sender never declared: then the bytes alone decide, as for an upload sent as
            # application/octet-stream.
            declared = part.get_content_type() if "Content-Type" in part else None
            try:
                kind = attachments.check(data=data, declared=declared, max_bytes=max_bytes)
            except DomainError as problem:
                # The detail alone ("Allowed attachments: ...") does not say what was found.
                reasons = "; ".join(str(e["reason"]) for e in problem.errors)
                report.warnings.append(
                    (where, f"attachment {label!r} skipped: {problem.detail} ({reasons})")
                )
                continue
            files.append((attachments.clean_filename(label, kind), kind, data))
        try:
            payload = ComplaintCreate(
                channel="email", crux=crux[:20000], help_requested=help_requested,
                received_at=_received_at(msg),
                contact=ContactDetails(**contact) if contact else None,
            )  # fmt: skip
        except ValidationError as exc:
            report.bad.append(
                (
                    where,
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
                )
            )
            continue
        try:
            with (
                attachments.removed_on_failure(store) as written,
                session_scope(factory, tenant=tenant) as session,
            ):
                if session.execute(
                    select(Complaint.id).where(Complaint.external_id == external_id)
                ).first():
                    report.already.append(message_id)
                    continue
                accepted = register_complaint(
                    session=session, outbox=outbox, principal=principal, payload=payload,
                    correlation_id=None, keys=keys, registered_by=IMPORTER,
                    external_id=external_id,
                )  # fmt: skip
                for filename, kind, data in files:
                    attachments.add(
                        session=session, keys=keys, store=store, written=written,
                        tenant=tenant, complaint_id=accepted.id, filename=filename, kind=kind,
                        data=data, source="email", uploaded_by=IMPORTER,
                    )  # fmt: skip
        except DomainError as problem:
            report.bad.append((where, problem.detail))
            continue
        report.created.append((message_id, accepted.id, accepted.receipt_code))
    return report
