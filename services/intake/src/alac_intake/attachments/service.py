"""Adding and reading attachments. Checks come before any byte is stored; if the transaction
fails after the blob was written, the caller removes the blob it created (`discard`)."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.attachments.detect import ALLOWED, UNSPECIFIC, bare, detect
from alac_intake.attachments.models import Attachment
from alac_intake.attachments.store import AttachmentStore
from alac_kernel.db import new_id, utcnow
from alac_kernel.problems import Problem, not_found


def check(*, data: bytes, declared: str | None, max_bytes: int) -> str:
    """The detected content type, or a 413 / 415 problem naming the body."""
    if len(data) > max_bytes:
        raise Problem(
            413,
            f"The attachment is larger than {max_bytes} bytes.",
            errors=[{"field": "body", "reason": f"larger than {max_bytes} bytes"}],
        )
    if not data:
        raise Problem(
            422, "The attachment is empty.", errors=[{"field": "body", "reason": "empty"}]
        )
    kind = detect(data)
    if kind not in ALLOWED:
        raise Problem(
            415,
            "Allowed attachments: PDF, PNG, JPEG, DOCX, XLSX and plain text.",
            errors=[{"field": "body", "reason": f"content type {kind or 'unknown'} not allowed"}],
        )
    claimed = bare(declared)
    if claimed not in UNSPECIFIC and claimed != kind:
        raise Problem(
            415,
            f"The bytes are {kind}, not the declared {claimed}.",
            errors=[{"field": "header.Content-Type", "reason": f"declared {claimed}, is {kind}"}],
        )
    return kind


def clean_filename(name: str | None, kind: str) -> str:
    """A display name only (storage is by sha256): no path, no control characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable()).strip()
    return (base or "attachment" + ALLOWED[kind])[:255]


@contextmanager
def stored(store: AttachmentStore, data: bytes) -> Iterator[str]:
    """Put `data` in the store for the duration of a transaction: if the block raises, a blob
    this call created is removed again, so a failed request leaves nothing behind."""
    digest, created = store.put(data)
    try:
        yield digest
    except BaseException:
        if created:
            store.delete(digest)
        raise


def record(
    *,
    session: Session,
    tenant: str,
    complaint_id: str,
    filename: str,
    kind: str,
    size: int,
    sha256: str,
    source: str,
    uploaded_by: str,
) -> Attachment:
    row = Attachment(
        id=new_id(), tenant_id=tenant, complaint_id=complaint_id, filename=filename,
        content_type=kind, size=size, sha256=sha256, source=source, uploaded_by=uploaded_by,
        stored_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def listed(*, session: Session, complaint_id: str) -> list[Attachment]:
    return list(
        session.execute(
            select(Attachment)
            .where(Attachment.complaint_id == complaint_id)
            .order_by(Attachment.stored_at, Attachment.id)
        ).scalars()
    )


def get(*, session: Session, complaint_id: str, attachment_id: str) -> Attachment:
    row = session.execute(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.complaint_id == complaint_id
        )
    ).scalar_one_or_none()
    if row is None:
        raise not_found("attachment")
    return row
