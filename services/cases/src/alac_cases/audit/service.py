"""Appending to and verifying the hash-chained audit trail.

Each entry stores sha256(previous hash + canonical JSON of the entry's own fields); the chain
is per tenant and its newest link is kept in case_audit_heads. Editing an entry breaks its
hash, deleting one breaks the next entry's link, and deleting the newest ones no longer
matches the head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alac_cases.audit.models import AuditEntry, AuditHead
from alac_kernel.auth.principal import Principal
from alac_kernel.db import utcnow
from alac_kernel.observability.metrics import AUDIT_ENTRIES
from alac_kernel.runtime import ServiceRuntime

GENESIS = "0" * 64


def canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


# What an entry's hash covers: everything but the links themselves (prev_hash, hash).
HASHED = ("tenant_id", "seq", "case_id", "actor", "actor_role", "at", "what", "detail")


def _hashed(entry: AuditEntry) -> dict[str, Any]:
    fields = {name: getattr(entry, name) for name in HASHED}
    # Timestamps are hashed at microsecond precision in UTC, the form every database returns.
    return fields | {"at": entry.at.isoformat(timespec="microseconds")}


def _lock_chain(session: Session, tenant_id: str) -> None:
    # Appends to one chain must be serial. SQLite already serialises writers (BEGIN IMMEDIATE);
    # on PostgreSQL a transaction-scoped advisory lock per tenant does it.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"audit:{tenant_id}"}
        )


def record(
    *,
    session: Session,
    tenant_id: str,
    actor: str,
    actor_role: str,
    what: str,
    case_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    (entry,) = record_many(
        session=session, tenant_id=tenant_id, actor=actor, actor_role=actor_role,
        entries=[(what, case_id, detail)],
    )  # fmt: skip
    return entry


def record_many(
    *,
    session: Session,
    tenant_id: str,
    actor: str,
    actor_role: str,
    entries: Sequence[tuple[str, str | None, dict[str, Any] | None]],
) -> list[AuditEntry]:
    """Append (what, case_id, detail) entries to the tenant's chain in this order, each
    linked to the one before, with one read and one update of the chain's head and one flush:
    the case file records a read per part it holds (alac_cases.casefile)."""
    _lock_chain(session, tenant_id)
    head = session.get(AuditHead, tenant_id)
    seq = head.seq if head else 0
    prev = head.hash if head else GENESIS
    at = utcnow()
    made: list[AuditEntry] = []
    for what, case_id, detail in entries:
        seq += 1
        entry = AuditEntry(
            tenant_id=tenant_id, seq=seq, case_id=case_id, actor=actor, actor_role=actor_role,
            at=at, what=what, detail=detail or {}, prev_hash=prev,
        )  # fmt: skip
        entry.hash = prev = entry_hash(prev, _hashed(entry))
        made.append(entry)
        AUDIT_ENTRIES.labels("cases", what).inc()
    session.add_all(made)
    if head is None:
        session.add(AuditHead(tenant_id=tenant_id, seq=seq, hash=prev))
    else:
        head.seq, head.hash = seq, prev
    session.flush()
    return made


@dataclass(frozen=True)
class Break:
    tenant_id: str
    seq: int
    problem: str


def verify(*, session: Session) -> tuple[int, list[Break]]:
    """Walk every tenant's chain; the number of entries checked and every break found."""
    breaks: list[Break] = []
    checked = 0
    heads = {h.tenant_id: h for h in session.execute(select(AuditHead)).scalars()}
    tenants = set(heads) | set(session.execute(select(AuditEntry.tenant_id).distinct()).scalars())
    for tenant in sorted(tenants):
        prev, expected_seq = GENESIS, 1
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.tenant_id == tenant).order_by(AuditEntry.seq)
        ).scalars()
        for entry in entries:
            checked += 1
            if entry.seq != expected_seq:
                breaks.append(Break(tenant, expected_seq, "entry missing (deleted)"))
            if entry.prev_hash != prev:
                breaks.append(Break(tenant, entry.seq, "link to the previous entry broken"))
            if entry_hash(entry.prev_hash, _hashed(entry)) != entry.hash:
                breaks.append(Break(tenant, entry.seq, "entry edited (hash does not match)"))
            prev, expected_seq = entry.hash, entry.seq + 1
        head = heads.get(tenant)
        if head is None:
            breaks.append(Break(tenant, expected_seq - 1, "chain head missing"))
        elif head.seq != expected_seq - 1 or head.hash != prev:
            breaks.append(Break(tenant, head.seq, "newest entries missing (head does not match)"))
    return checked, breaks


def entries_for_case(*, session: Session, tenant_id: str, case_id: str) -> list[AuditEntry]:
    return list(
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id, AuditEntry.case_id == case_id)
            .order_by(AuditEntry.seq)
        ).scalars()
    )


def trail_of_case(
    runtime: ServiceRuntime, principal: Principal, *, case_id: str
) -> list[AuditEntry]:
    """Who read or changed a case file, and when. Reading the trail is itself a read of the
    case file (recorded after the entries were read, so not among them)."""
    from alac_cases.case.commands import read_case  # it records through this module

    with read_case(runtime, principal, case_id=case_id, what="audit.read") as c:
        return entries_for_case(session=c.session, tenant_id=principal.tenant, case_id=c.case.id)
