"""Adding, reading and erasing attachments. Checks come before any byte is stored; if the
transaction fails after a blob was written, `removed_on_failure` removes it again. Blobs are
encrypted at rest (alac_kernel.crypto) under a per-file key wrapped by the tenant's data key
from the vault."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.attachments.detect import ALLOWED, UNSPECIFIC, bare, detect
from alac_intake.attachments.models import Attachment
from alac_intake.attachments.schemas import AttachmentOut
from alac_intake.attachments.store import AttachmentStore
from alac_intake.complaints import access
from alac_intake.errors import TooLarge, UnsupportedType
from alac_intake.followup.service import complaint_by_id, complaint_of_receipt
from alac_intake.i18n import message
from alac_intake.vault import service as vault
from alac_intake.vault.crypto import MasterKeys
from alac_kernel import crypto
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, one_found, session_scope, utcnow
from alac_kernel.errors import Conflict, Gone, InvalidFields

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime


def check(*, data: bytes, declared: str | None, max_bytes: int) -> str:
    """The detected content type; TooLarge, InvalidFields (empty) or UnsupportedType naming
    the body (or the declared type it contradicts) otherwise."""
    if len(data) > max_bytes:
        raise TooLarge(
            f"The attachment is larger than {max_bytes} bytes.",
            errors=[{"field": "body", "reason": f"larger than {max_bytes} bytes"}],
        )
    if not data:
        raise InvalidFields(
            "The attachment is empty.", errors=[{"field": "body", "reason": "empty"}]
        )
    kind = detect(data)
    if kind is None or kind not in ALLOWED:
        raise UnsupportedType(
            "Allowed attachments: PDF, PNG, JPEG, DOCX, XLSX and plain text.",
            errors=[{"field": "body", "reason": f"content type {kind or 'unknown'} not allowed"}],
        )
    claimed = bare(declared)
    if claimed not in UNSPECIFIC and claimed != kind:
        raise UnsupportedType(
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
def removed_on_failure(store: AttachmentStore) -> Iterator[list[str]]:
    """Collects the blobs written during a transaction (`add` appends to the list): if the
    block raises, they are removed again, so a failed request leaves nothing behind."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            store.delete(name)
        raise


def _key_aad(tenant: str, complaint_id: str, attachment_id: str, version: int) -> str:
    return f"attachment-key|{tenant}|{complaint_id}|{attachment_id}|{version}"


def _file_aad(tenant: str, complaint_id: str, attachment_id: str) -> str:
    return f"attachment|{tenant}|{complaint_id}|{attachment_id}"


def add(
    *,
    session: Session,
    keys: MasterKeys,
    store: AttachmentStore,
    written: list[str],
    tenant: str,
    complaint_id: str,
    filename: str,
    kind: str,
    data: bytes,
    source: str,
    uploaded_by: str,
) -> Attachment:
    """Record the attachment and write its bytes encrypted (AES-GCM) under a key of its own,
    which is kept wrapped by the tenant's data key in the row: deleting the row on erasure
    makes the blob unreadable even where a copy of it survives (a backup)."""
    attachment_id = new_id()
    version, tenant_key = vault.data_key(session=session, keys=keys, tenant=tenant)
    file_key = crypto.new_key()
    row = Attachment(
        id=attachment_id, tenant_id=tenant, complaint_id=complaint_id, filename=filename,
        content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        source=source, uploaded_by=uploaded_by, stored_at=utcnow(), key_version=version,
        wrapped_key=crypto.seal(
            tenant_key, file_key, _key_aad(tenant, complaint_id, attachment_id, version)
        ),
    )  # fmt: skip
    session.add(row)
    session.flush()
    store.put(
        attachment_id,
        crypto.encrypt(file_key, data, _file_aad(tenant, complaint_id, attachment_id)),
    )
    written.append(attachment_id)
    return row


def read(*, session: Session, keys: MasterKeys, store: AttachmentStore, row: Attachment) -> bytes:
    """The plaintext; raises FileNotFoundError when the blob is gone."""
    if row.wrapped_key is None or row.key_version is None:
        # Stored before encryption at rest (revision 9c1d2e3f4a5b): plaintext, by sha256
        # (the wrapped key and its version are written together).
        return store.get(row.sha256)
    _, tenant_key = vault.data_key(
        session=session, keys=keys, tenant=row.tenant_id, version=row.key_version
    )
    file_key = crypto.open_sealed(
        tenant_key,
        row.wrapped_key,
        _key_aad(row.tenant_id, row.complaint_id, row.id, row.key_version),
    )
    return crypto.decrypt(
        file_key, store.get(row.id), _file_aad(row.tenant_id, row.complaint_id, row.id)
    )


def encrypt_plaintext(
    *,
    factory: sessionmaker[Session],
    keys: MasterKeys,
    store: AttachmentStore,
    batch_size: int = 100,
) -> dict[str, int]:
    """Encrypt the attachments stored before encryption at rest (null wrapped_key: plaintext
    blobs named by sha256), a batch per transaction, while the service runs. The encrypted blob
    is written before the commit (a failed commit leaves an unlisted ciphertext, overwritten on
    the next run); a plaintext blob is deleted after the commit, once no row needs it."""
    report = {"encrypted": 0, "missing": 0}
    while True:
        plaintext_done: set[str] = set()
        with session_scope(factory, all_tenants=True) as session:
            rows = (
                session.execute(
                    select(Attachment)
                    .where(Attachment.wrapped_key.is_(None))
                    .order_by(Attachment.id)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not rows:
                return report
            for row in rows:
                try:
                    data = store.get(row.sha256)
                except FileNotFoundError:
                    # Nothing to encrypt: the row would only ever answer 410; remove it.
                    session.delete(row)
                    report["missing"] += 1
                    continue
                version, tenant_key = vault.data_key(
                    session=session, keys=keys, tenant=row.tenant_id
                )
                file_key = crypto.new_key()
                aad = _file_aad(row.tenant_id, row.complaint_id, row.id)
                store.put(row.id, crypto.encrypt(file_key, data, aad))
                row.key_version = version
                row.wrapped_key = crypto.seal(
                    tenant_key, file_key, _key_aad(row.tenant_id, row.complaint_id, row.id, version)
                )
                plaintext_done.add(row.sha256)
                report["encrypted"] += 1
        with session_scope(factory, all_tenants=True) as session:
            still = set(
                session.execute(
                    select(Attachment.sha256).where(
                        Attachment.wrapped_key.is_(None), Attachment.sha256.in_(plaintext_done)
                    )
                ).scalars()
            )
        for digest in plaintext_done - still:
            store.delete(digest)


def erase(*, session: Session, store: AttachmentStore, complaint_id: str) -> int:
    """Delete a complaint's attachments: rows (names, wrapped keys) and blobs. The blobs go
    before the commit: if the commit then fails, rows without blobs answer 410 and the next
    erasure removes them; the other order could leave readable blobs nobody lists."""
    rows = listed(session=session, complaint_id=complaint_id)
    for row in rows:
        session.delete(row)
    session.flush()
    for row in rows:
        if row.wrapped_key is not None:
            store.delete(row.id)
        elif not session.execute(
            select(Attachment.id).where(Attachment.sha256 == row.sha256).limit(1)
        ).first():
            # A plaintext blob from before encryption is shared by content: delete it when no
            # attachment names it any more.
            store.delete(row.sha256)
    return len(rows)


def listed(*, session: Session, complaint_id: str) -> list[Attachment]:
    return list(
        session.execute(
            select(Attachment)
            .where(Attachment.complaint_id == complaint_id)
            .order_by(Attachment.stored_at, Attachment.id)
        ).scalars()
    )


def get(*, session: Session, complaint_id: str, attachment_id: str) -> Attachment:
    query = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.complaint_id == complaint_id
    )
    return one_found(session, query, "attachment")


# ------------------------------------------------------------------ use cases


def upload(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, *, data: bytes,
    declared: str | None, filename: str,
) -> AttachmentOut:  # fmt: skip
    """A staff member attaches a file to a complaint they may see."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        # The complaint first: another tenant's id is NotFound before any check of the bytes.
        access.load_visible(session, principal, complaint_id)
    kind = check(data=data, declared=declared, max_bytes=rt.attachment_max_bytes)
    return keep_file(
        rt, tenant=principal.tenant, complaint_id=complaint_id,
        filename=clean_filename(filename, kind), kind=kind, data=data, source="api",
        uploaded_by=principal.subject,
    )  # fmt: skip


def upload_by_complainant(
    rt: IntakeRuntime, code: str, client: str, *, data: bytes, declared: str | None,
    filename: str, lang: str,
) -> AttachmentOut:  # fmt: skip
    """The complainant adds a file with the receipt code (the web form's files come this
    way). A withdrawn complaint takes no more files (Conflict, in plain words)."""
    # Counted before the code is checked, like the form: each try costs the address.
    rt.limits.public_attachments.take(client, "Too many files from your address; try again later.")
    complaint_id = complaint_of_receipt(rt, code, client)
    with session_scope(rt.session_factory, all_tenants=True) as session:
        complaint = complaint_by_id(session, complaint_id)
        tenant, withdrawn = complaint.tenant_id, complaint.withdrawn_at is not None
    if withdrawn:
        reason = message("withdrawn_attachment", lang)
        raise Conflict(reason, errors=[{"field": "header.Receipt-Code", "reason": reason}])
    kind = check(data=data, declared=declared, max_bytes=rt.attachment_max_bytes)
    return keep_file(
        rt, tenant=tenant, complaint_id=complaint_id, filename=clean_filename(filename, kind),
        kind=kind, data=data, source="complainant", uploaded_by="complainant",
    )  # fmt: skip


def keep_file(
    rt: IntakeRuntime, *, tenant: str, complaint_id: str, filename: str, kind: str,
    data: bytes, source: str, uploaded_by: str,
) -> AttachmentOut:  # fmt: skip
    """The checked file, encrypted in the store and recorded in one transaction: if its commit
    fails, the new blob is removed again."""
    with (
        removed_on_failure(rt.attachments) as written,
        session_scope(rt.session_factory, tenant=tenant) as session,
    ):
        row = add(
            session=session, keys=rt.master_keys, store=rt.attachments, written=written,
            tenant=tenant, complaint_id=complaint_id, filename=filename, kind=kind, data=data,
            source=source, uploaded_by=uploaded_by,
        )  # fmt: skip
        return AttachmentOut.model_validate(row, from_attributes=True)


def attachments_of(
    rt: IntakeRuntime, principal: Principal, complaint_id: str
) -> list[AttachmentOut]:
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.load_visible(session, principal, complaint_id)
        return [
            AttachmentOut.model_validate(r, from_attributes=True)
            for r in listed(session=session, complaint_id=complaint.id)
        ]


@dataclass(frozen=True)
class File:
    data: bytes
    content_type: str
    filename: str


def download(
    rt: IntakeRuntime, principal: Principal, complaint_id: str, attachment_id: str
) -> File:
    """The decrypted file; Gone when only its row is left (an erasure interrupted between
    deleting the blob and its row)."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.load_visible(session, principal, complaint_id)
        row = get(session=session, complaint_id=complaint.id, attachment_id=attachment_id)
        try:
            data = read(session=session, keys=rt.master_keys, store=rt.attachments, row=row)
        except FileNotFoundError as exc:
            raise Gone("The attachment was erased.") from exc
        return File(data, row.content_type, row.filename)
