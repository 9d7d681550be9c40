"""Storing, reading and re-keying complainants' personal data; `contact_of` is the use case
of the API's audited read."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.complaints import access
from alac_intake.vault.crypto import MasterKeys, open_sealed, seal
from alac_intake.vault.models import ContactRead, ContactRecord, TenantKey
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, session_scope, utcnow
from alac_kernel.errors import NotFound
from alac_kernel.observability.metrics import VAULT_OPERATIONS

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

CONTACT_FIELDS = ("name", "phone", "email", "address", "identity_document")


def _wrap_aad(tenant: str, purpose: str, version: int) -> str:
    return f"tenant-key|{tenant}|{purpose}|{version}"


def _contact_aad(tenant: str, complaint_id: str, version: int) -> str:
    return f"contact|{tenant}|{complaint_id}|{version}"


def _new_key(session: Session, keys: MasterKeys, tenant: str, purpose: str, version: int) -> bytes:
    raw = secrets.token_bytes(32)
    session.add(
        TenantKey(
            tenant_id=tenant,
            purpose=purpose,
            version=version,
            master_key_id=keys.current_id,
            wrapped=seal(keys.current, raw, _wrap_aad(tenant, purpose, version)),
            created_at=utcnow(),
        )
    )
    session.flush()
    return raw


def _unwrap(keys: MasterKeys, row: TenantKey) -> bytes:
    master = keys.by_id(row.master_key_id)
    return open_sealed(master, row.wrapped, _wrap_aad(row.tenant_id, row.purpose, row.version))


def _key(
    session: Session, keys: MasterKeys, tenant: str, purpose: str, version: int | None = None
) -> tuple[int, bytes]:
    """(version, key): the given version, else the newest; created on a tenant's first use."""
    query = select(TenantKey).where(TenantKey.tenant_id == tenant, TenantKey.purpose == purpose)
    if version is not None:
        query = query.where(TenantKey.version == version)
    row = session.execute(query.order_by(TenantKey.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        if version is not None:
            raise LookupError(f"no {purpose} key version {version} for tenant {tenant}")
        return 1, _new_key(session, keys, tenant, purpose, 1)
    return row.version, _unwrap(keys, row)


def data_key(
    *, session: Session, keys: MasterKeys, tenant: str, version: int | None = None
) -> tuple[int, bytes]:
    """(version, key) of the tenant's data key: the newest, or the given version. Attachments
    wrap their own file keys under it (alac_intake.attachments.service)."""
    return _key(session, keys, tenant, "data", version)


def receipt_key(
    *, session: Session, keys: MasterKeys, tenant: str, version: int | None = None
) -> tuple[int, bytes]:
    """(version, key) of the tenant's receipt key (HMAC of receipt secrets, alac_intake.receipts):
    the newest, or the given version; created on the tenant's first receipt. Like the pseudonym
    key it is never rotated away (no receipt could be verified any more); rotating the master key
    re-wraps it."""
    return _key(session, keys, tenant, "receipt", version)


def ensure_keys(*, session: Session, keys: MasterKeys, tenant: str) -> None:
    """The tenant's data and pseudonym keys, made now if missing (on onboarding)."""
    _key(session, keys, tenant, "data")
    _key(session, keys, tenant, "pseudonym")


def normalise_contact(*, phone: str | None, email: str | None) -> str | None:
    """The identifying part of a contact in one canonical form: the phone's digits (a leading
    8 of a Kazakh number read as 7), else the lower-cased e-mail."""
    if phone:
        digits = re.sub(r"\D", "", phone)
        if len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        if digits:
            return "tel:" + digits
    if email:
        return "mailto:" + email.strip().lower()
    return None


def pseudonym(
    *, session: Session, keys: MasterKeys, tenant: str, contact: dict | None, fallback: str
) -> str:
    """HMAC of the normalised contact under the tenant's pseudonym key: the same person gets
    the same pseudonym within a tenant, and no one can reverse it without the key. Without a
    contact, a pseudonym of `fallback` (the complaint id)."""
    _, key = _key(session, keys, tenant, "pseudonym")
    return pseudonym_under(key, contact=contact, fallback=fallback)


def pseudonym_under(key: bytes, *, contact: dict | None, fallback: str) -> str:
    """`pseudonym` with the tenant's pseudonym key already at hand."""
    ident = normalise_contact(
        phone=(contact or {}).get("phone"), email=(contact or {}).get("email")
    )
    return hmac.new(key, (ident or "complaint:" + fallback).encode(), hashlib.sha256).hexdigest()[
        :32
    ]


@dataclass(frozen=True)
class TenantKeys:
    """A tenant's newest key of each purpose a registration uses, unwrapped: (version, key)."""

    data: tuple[int, bytes]
    pseudonym: tuple[int, bytes]
    receipt: tuple[int, bytes]


REGISTRATION_PURPOSES = ("data", "pseudonym", "receipt")
_keys = TenantKey.__table__
_REGISTRATION_KEYS = (
    select(_keys.c.purpose, _keys.c.version, _keys.c.master_key_id, _keys.c.wrapped)
    .where(_keys.c.tenant_id == bindparam("tenant"), _keys.c.purpose.in_(REGISTRATION_PURPOSES))
    .order_by(_keys.c.version)
)
_NEWEST_DATA_KEY = select(func.max(_keys.c.version)).where(
    _keys.c.tenant_id == bindparam("tenant"), _keys.c.purpose == "data"
)


def registration_keys(*, session: Session, keys: MasterKeys, tenant: str) -> TenantKeys | None:
    """The tenant's data, pseudonym and receipt keys in one read (no write: a read-only
    session will do); None while one of them has not been made yet (`ensure_registration_keys`
    makes them, in a write transaction)."""
    rows = session.connection().execute(_REGISTRATION_KEYS, {"tenant": tenant})
    newest = {row.purpose: row for row in rows}  # ordered by version: the last one stays
    if len(newest) < len(REGISTRATION_PURPOSES):
        return None
    found = {
        purpose: (row.version, open_sealed(
            keys.by_id(row.master_key_id), row.wrapped,
            _wrap_aad(tenant, purpose, row.version),
        ))
        for purpose, row in newest.items()
    }  # fmt: skip
    return TenantKeys(data=found["data"], pseudonym=found["pseudonym"], receipt=found["receipt"])


def ensure_registration_keys(*, session: Session, keys: MasterKeys, tenant: str) -> TenantKeys:
    """The tenant's registration keys, made now if missing (the write transaction's path)."""
    return TenantKeys(*(_key(session, keys, tenant, purpose) for purpose in REGISTRATION_PURPOSES))


def newest_data_key_version(*, session: Session, tenant: str) -> int | None:
    return session.connection().execute(_NEWEST_DATA_KEY, {"tenant": tenant}).scalar_one()


def sealed_contact(
    data_key: tuple[int, bytes], *, tenant: str, complaint_id: str, contact: dict
) -> str:
    """The contact record's ciphertext under the tenant's data key (version, key)."""
    version, key = data_key
    plain = json.dumps({k: contact.get(k) for k in CONTACT_FIELDS}, ensure_ascii=False).encode()
    return seal(key, plain, _contact_aad(tenant, complaint_id, version))


def store_contact(
    *, session: Session, keys: MasterKeys, tenant: str, complaint_id: str, contact: dict
) -> None:
    version, key = _key(session, keys, tenant, "data")
    existing = session.get(ContactRecord, complaint_id)
    sealed = sealed_contact(
        (version, key), tenant=tenant, complaint_id=complaint_id, contact=contact
    )
    if existing is None:
        session.add(
            ContactRecord(
                tenant_id=tenant,
                complaint_id=complaint_id,
                key_version=version,
                ciphertext=sealed,
                stored_at=utcnow(),
            )
        )
    else:
        existing.key_version, existing.ciphertext = version, sealed
    session.flush()
    VAULT_OPERATIONS.labels("intake", "store").inc()


def load_contact(*, session: Session, keys: MasterKeys, complaint_id: str) -> dict | None:
    """Decrypt without auditing: for intake's own use (e.g. a referral copy), never an API."""
    row = session.execute(
        select(ContactRecord).where(ContactRecord.complaint_id == complaint_id)
    ).scalar_one_or_none()
    if row is None:
        return None
    _, key = _key(session, keys, row.tenant_id, "data", row.key_version)
    return json.loads(
        open_sealed(key, row.ciphertext, _contact_aad(row.tenant_id, complaint_id, row.key_version))
    )


def read_contact_audited(
    *, session: Session, keys: MasterKeys, complaint_id: str, tenant: str, subject: str, role: str
) -> dict | None:
    """The contact, with the read written to the audit table in the same transaction."""
    session.add(
        ContactRead(
            id=new_id(),
            tenant_id=tenant,
            complaint_id=complaint_id,
            subject=subject,
            role=role,
            read_at=utcnow(),
        )
    )
    VAULT_OPERATIONS.labels("intake", "read").inc()
    return load_contact(session=session, keys=keys, complaint_id=complaint_id)


def erase_contact(*, session: Session, complaint_id: str) -> bool:
    row = session.execute(
        select(ContactRecord).where(ContactRecord.complaint_id == complaint_id)
    ).scalar_one_or_none()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    VAULT_OPERATIONS.labels("intake", "erase").inc()
    return True


def rotate_keys(
    *,
    factory: sessionmaker[Session],
    keys: MasterKeys,
    batch_size: int = 200,
    after_batch: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Rotate without downtime: (1) every tenant gets a new data key version (new writes use
    it at once), (2) every wrapped key is re-wrapped under the current master key, (3) contact
    rows are re-encrypted in small transactions, each row checked against its old version so a
    concurrent write is never overwritten. Reads work throughout: each row names its version.
    """
    report = {"tenants": 0, "rewrapped": 0, "reencrypted": 0}
    with session_scope(factory, all_tenants=True) as session:
        tenants = session.execute(select(TenantKey.tenant_id).distinct()).scalars().all()
        for tenant in tenants:
            newest = session.execute(
                select(func.max(TenantKey.version)).where(
                    TenantKey.tenant_id == tenant, TenantKey.purpose == "data"
                )
            ).scalar_one()
            _new_key(session, keys, tenant, "data", (newest or 0) + 1)
            report["tenants"] += 1
        for row in session.execute(
            select(TenantKey).where(TenantKey.master_key_id != keys.current_id)
        ).scalars():
            raw = _unwrap(keys, row)
            row.wrapped = seal(
                keys.current, raw, _wrap_aad(row.tenant_id, row.purpose, row.version)
            )
            row.master_key_id = keys.current_id
            report["rewrapped"] += 1
    batches = 0
    while True:
        with session_scope(factory, all_tenants=True) as session:
            newest_by_tenant: dict[str, int] = dict(
                session.execute(
                    select(TenantKey.tenant_id, func.max(TenantKey.version))
                    .where(TenantKey.purpose == "data")
                    .group_by(TenantKey.tenant_id)
                ).all()
            )
            stale = [
                r
                for r in session.execute(
                    select(ContactRecord).order_by(ContactRecord.complaint_id)
                ).scalars()
                if r.key_version < newest_by_tenant.get(r.tenant_id, 0)
            ][:batch_size]
            if not stale:
                break
            for contact in stale:
                _, old = _key(session, keys, contact.tenant_id, "data", contact.key_version)
                plain = open_sealed(
                    old,
                    contact.ciphertext,
                    _contact_aad(contact.tenant_id, contact.complaint_id, contact.key_version),
                )
                version, new = _key(session, keys, contact.tenant_id, "data")
                sealed = seal(
                    new, plain, _contact_aad(contact.tenant_id, contact.complaint_id, version)
                )
                session.execute(
                    update(ContactRecord)
                    .where(
                        ContactRecord.complaint_id == contact.complaint_id,
                        ContactRecord.key_version == contact.key_version,
                    )
                    .values(key_version=version, ciphertext=sealed)
                    .execution_options(synchronize_session=False)
                )
                report["reencrypted"] += 1
        batches += 1
        if after_batch is not None:
            after_batch(batches)
    VAULT_OPERATIONS.labels("intake", "rekey").inc(report["reencrypted"])
    return report


def has_contact(*, session: Session, complaint_id: str) -> bool:
    return (
        session.execute(
            select(ContactRecord.complaint_id).where(ContactRecord.complaint_id == complaint_id)
        ).first()
        is not None
    )


def contact_of(rt: IntakeRuntime, principal: Principal, complaint_id: str) -> dict:
    """The complainant's contact for a lawyer or coordinator of the complaint's tenant, the
    read audited in the same transaction; NotFound (and no audit row) when the complaint has
    none."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        access.load_visible(session, principal, complaint_id)
        role = roles.LAWYER if principal.has_any(roles.LAWYER) else roles.COORDINATOR
        contact = read_contact_audited(
            session=session, keys=rt.master_keys, complaint_id=complaint_id,
            tenant=principal.tenant, subject=principal.subject, role=role,
        )  # fmt: skip
        if contact is None:
            raise NotFound("contact")
        return contact
