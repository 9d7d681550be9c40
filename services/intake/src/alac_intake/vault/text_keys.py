"""Per-complaint keys of the free text sealed in complaint.* events, and the key service
consumers ask with their grant (alac_kernel.sealed_text; docs/privacy.md)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.errors import GrantRequired
from alac_intake.vault import service as vault
from alac_intake.vault.crypto import MasterKeys
from alac_intake.vault.models import ComplaintTextKey
from alac_kernel import crypto, sealed_text
from alac_kernel.db import session_scope, utcnow
from alac_kernel.errors import Gone, NotFound

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

log = logging.getLogger("alac.intake.text_keys")


def _wrap_aad(tenant: str, complaint_id: str, version: int) -> str:
    return f"complaint-text-key|{tenant}|{complaint_id}|{version}"


def _row(session: Session, complaint_id: str) -> ComplaintTextKey | None:
    return session.execute(
        select(ComplaintTextKey).where(ComplaintTextKey.complaint_id == complaint_id)
    ).scalar_one_or_none()


def text_key(
    *, session: Session, keys: MasterKeys, tenant: str, complaint_id: str, create: bool = True
) -> bytes | None:
    """The complaint's text key, made on first use; None once destroyed (or when `create` is
    false and there is none)."""
    row = _row(session, complaint_id)
    if row is not None:
        _, tenant_key = vault.data_key(
            session=session, keys=keys, tenant=tenant, version=row.key_version
        )
        return crypto.open_sealed(
            tenant_key, row.wrapped, _wrap_aad(tenant, complaint_id, row.key_version)
        )
    if not create:
        return None
    version, tenant_key = vault.data_key(session=session, keys=keys, tenant=tenant)
    raw = crypto.new_key()
    session.add(
        ComplaintTextKey(
            tenant_id=tenant, complaint_id=complaint_id, key_version=version,
            wrapped=crypto.seal(tenant_key, raw, _wrap_aad(tenant, complaint_id, version)),
            created_at=utcnow(),
        )
    )  # fmt: skip
    session.flush()
    return raw


def seal_event_data(
    *, session: Session, keys: MasterKeys, tenant: str, complaint_id: str, data: dict[str, Any],
    texts_in: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`data` of a complaint.* event with its free text sealed under the complaint's key.
    `texts_in` names a nested object holding the texts (complaint.updated's `changed`)."""
    target = data if texts_in is None else data[texts_in]
    if not sealed_text.split_texts(target)[1]:
        return data
    key = text_key(session=session, keys=keys, tenant=tenant, complaint_id=complaint_id)
    assert key is not None  # made on first use
    return seal_under(key, tenant=tenant, complaint_id=complaint_id, data=data, texts_in=texts_in)


def seal_under(
    key: bytes, *, tenant: str, complaint_id: str, data: dict[str, Any],
    texts_in: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`seal_event_data` with the complaint's text key at hand (a registration makes it
    before its transaction, `new_text_key`)."""
    target = data if texts_in is None else data[texts_in]
    clear, texts = sealed_text.split_texts(target)
    if not texts:
        return data
    if texts_in is not None:
        # Every changed text stays named in `changed` (as the marker), so a consumer sees
        # that it changed and `changed` is never left empty.
        marked = {k: (sealed_text.SEALED if k in texts else v) for k, v in target.items()}
        data = {**data, texts_in: marked}
    else:
        data = clear
    data["sealed"] = sealed_text.seal_fields(
        key, tenant=tenant, complaint_id=complaint_id, fields=texts
    )
    return data


def new_text_key(
    data_key: tuple[int, bytes], *, tenant: str, complaint_id: str
) -> tuple[bytes, dict[str, Any]]:
    """A new complaint's text key and its `complaint_text_keys` row (wrapped by the tenant's
    data key (version, key)), made without the database."""
    raw = crypto.new_key()
    row = {
        "tenant_id": tenant, "complaint_id": complaint_id, "key_version": data_key[0],
        "wrapped": wrap(data_key, raw, tenant=tenant, complaint_id=complaint_id),
        "created_at": utcnow(),
    }  # fmt: skip
    return raw, row


def wrap(data_key: tuple[int, bytes], raw: bytes, *, tenant: str, complaint_id: str) -> str:
    """A complaint's text key wrapped by the tenant's data key (version, key)."""
    version, tenant_key = data_key
    return crypto.seal(tenant_key, raw, _wrap_aad(tenant, complaint_id, version))


def destroy(*, session: Session, complaint_id: str) -> bool:
    """Delete the complaint's text key (erasure); False when there was none."""
    row = _row(session, complaint_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def key_for_consumer(
    rt: IntakeRuntime, *, consumer: str, grant: str | None, tenant: str, complaint_id: str
) -> str:
    """The key service: a consumer (search, cases) presenting its grant gets a complaint's
    text key (base64url). GrantRequired without a valid grant; Gone once erased (or never
    sealed: the same answer either way, so nothing is learnt)."""
    expected = rt.text_grants.get(consumer)
    if expected is None or not sealed_text.grant_matches(grant, expected):
        raise GrantRequired("A consumer's grant is needed for complaint text keys.")
    if "\x00" in tenant + complaint_id:
        raise NotFound("text key")
    # Only reads (create=False): a read-only session, so that the consumers asking for keys
    # never queue behind the registrations for SQLite's write lock.
    with session_scope(rt.read_session_factory, tenant=tenant) as session:
        key = text_key(
            session=session, keys=rt.master_keys, tenant=tenant, complaint_id=complaint_id,
            create=False,
        )  # fmt: skip
    if key is None:
        raise Gone("The complaint's text key does not exist (erased).")
    log.info("complaint text key given", extra={"consumer": consumer, "tenant_id": tenant})
    return crypto.b64(key)
