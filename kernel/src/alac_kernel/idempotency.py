"""`Idempotency-Key` for POST requests: a replay of the same key returns the first answer.

The stored answer is written in the same transaction as the effect, so either both exist or
neither does. The same key with a different body is a client error (422), never a silent replay.

An answer can hold a secret meant for the caller alone (an anonymous complainant's receipt
code), so it is stored encrypted (AES-GCM) under a key derived from the Idempotency-Key, and
the row is found by a hash of that key: only the client that holds the key can replay it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alac_kernel.db import session_scope, utcnow
from alac_kernel.prebuilt import Prebuilt
from alac_kernel.problems import Problem

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise Problem(
            400,
            "Idempotency-Key must be 1-255 characters of letters, digits, '.', '_', ':' or '-'.",
            errors=[{"field": "header.Idempotency-Key", "reason": "invalid format"}],
        )
    return key


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _lookup(tenant: str, key: str) -> str:
    return hashlib.sha256(f"{tenant}\x00{key}".encode()).hexdigest()


def _cipher(tenant: str, key: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=tenant.encode(), info=b"alac-idempotency"
    ).derive(key.encode())
    return AESGCM(derived)


def _seal(tenant: str, key: str, body: Any) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(tenant, key).encrypt(nonce, json.dumps(body, default=str).encode(), None)
    return base64.b64encode(nonce + sealed).decode()


def _open(tenant: str, key: str, stored: str) -> Any:
    raw = base64.b64decode(stored)
    return json.loads(_cipher(tenant, key).decrypt(raw[:12], raw[12:], None))


# Built once per table and run on the session's connection (alac_kernel.prebuilt): every
# idempotent POST looks twice and writes once, and the statements' SQLAlchemy overhead was
# more than their work. The tenant is in every statement, so the ORM's tenant scope is not
# needed.
_statements: dict[Table, tuple[Prebuilt, Prebuilt]] = {}


def _statements_of(table: Table) -> tuple[Prebuilt, Prebuilt]:
    found = _statements.get(table)
    if found is None:
        look = select(table.c.request_hash, table.c.status_code, table.c.body).where(
            table.c.tenant_id == bindparam("tenant"), table.c.key == bindparam("key")
        )
        names = ("tenant_id", "key", "request_hash", "status_code", "body", "created_at")
        remember = insert(table).values({name: bindparam(name) for name in names})
        found = _statements[table] = (Prebuilt(look), Prebuilt(remember))
    return found


def stored_answer(
    session: Session, table: Table, *, tenant: str, key: str, req_hash: str
) -> tuple[int, Any] | None:
    look, _ = _statements_of(table)
    rows = look.execute(session.connection(), {"tenant": tenant, "key": _lookup(tenant, key)})
    if not rows:
        return None
    stored_hash, status_code, body = rows[0]
    if stored_hash != req_hash:
        raise Problem(
            422,
            "This Idempotency-Key was already used with a different request body.",
            errors=[{"field": "header.Idempotency-Key", "reason": "reused with a different body"}],
        )
    return status_code, _open(tenant, key, body)


def remember_answer(
    session: Session, table: Table, *, tenant: str, key: str, req_hash: str, status: int, body: Any
) -> None:
    _, remember = _statements_of(table)
    remember.execute(
        session.connection(),
        {
            "tenant_id": tenant,
            "key": _lookup(tenant, key),
            "request_hash": req_hash,
            "status_code": status,
            "body": _seal(tenant, key, body),
            "created_at": utcnow(),
        },
    )


def run_idempotent(
    session_factory: sessionmaker[Session],
    table: Table,
    *,
    tenant: str,
    key: str | None,
    req_hash: str,
    action: Callable[[Session], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `action` once per key in one transaction with the remembered answer; replay after."""
    if key is not None:
        check_key(key)
    try:
        with session_scope(session_factory, tenant=tenant) as session:
            if key is not None:
                stored = stored_answer(session, table, tenant=tenant, key=key, req_hash=req_hash)
                if stored is not None:
                    return stored
            status, body = action(session)
            if key is not None:
                remember_answer(
                    session,
                    table,
                    tenant=tenant,
                    key=key,
                    req_hash=req_hash,
                    status=status,
                    body=body,
                )
            return status, body
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key won the race; answer what it answered.
        with session_scope(session_factory, tenant=tenant) as session:
            stored = stored_answer(session, table, tenant=tenant, key=key, req_hash=req_hash)
        if stored is None:
            raise
        return stored
