"""A registered centre's entry changed by the platform admin: names, offices, languages,
letterhead, reference choices, retention, threshold, deadlines, time zone.

The change and its `tenant.updated` event commit together (outbox); each service applies the
event (intake: public offices and age bands; analytics: names and threshold; search: routing).
Cases reads the registry row itself, so letters, referrals, office checks and the
notifications' clock follow the change at once. Optimistic concurrency: the caller sends the
version it read (If-Match), so two admins editing at once never overwrite each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_cases.deadlines import service as deadline_rules
from alac_cases.staff.models import StaffMember
from alac_cases.tenancy.models import TenantRecord
from alac_cases.tenancy.service import _load_for_change, _name_taken, _taken, emit_tenant_event
from alac_kernel.db import session_scope, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.tenants import ACTIVE, SUSPENDED, SpecError, TenantChange, apply_change
from alac_kernel.versions import check_version


def update(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    tenant_id: str,
    change: TenantChange,
    expected: int,
) -> tuple[TenantRecord, bool]:
    """Apply `change` to the tenant's entry; (the record, whether it changed). A change that
    leaves the entry as it was announces nothing."""
    if change.id is not None and change.id != tenant_id:
        raise InvalidFields.one("body.id", f"a centre's id never changes (this is {tenant_id!r})")
    with session_scope(session_factory, tenant=tenant_id) as session:
        record = _load_for_change(session, tenant_id, (ACTIVE, SUSPENDED))
        check_version("tenant", expected=expected, current=record.version)
        try:
            spec = apply_change(record.spec, record.admin, change)
        except SpecError as exc:
            raise InvalidFields(
                f"The change is not a valid centre: {exc}", errors=exc.errors
            ) from None
        taken = _name_taken(session, spec)
        if taken:
            raise _taken("body.names.en", taken)
        new = spec.public()
        changed = new != record.spec
        if changed:
            _offices_still_staffed(session, tenant_id, record.spec, new)
            fields = sorted(k for k in new if new[k] != record.spec.get(k))
            if "deadlines" in fields:
                deadline_rules.apply_registry_deadlines(
                    session=session, tenant_id=tenant_id, deadlines=new["deadlines"]
                )
            record.spec = new
            record.updated_at = utcnow()
            emit_tenant_event(
                session=session, outbox=outbox, record=record, type="tenant.updated",
                data={"tenant": new, "status": record.status, "changed": fields,
                      "updated_at": record.updated_at.isoformat()},
            )  # fmt: skip
        session.flush()
        session.expunge(record)
        return record, changed


def _offices_still_staffed(session: Session, tenant_id: str, old: dict, new: dict) -> None:
    """An office closes only when nobody active works in it any more: its staff would be left
    in an office the registry no longer knows (move them first)."""
    closing = {o["code"] for o in old.get("offices", [])} - {o["code"] for o in new["offices"]}
    if not closing:
        return
    staffed = sorted(
        set(
            session.execute(
                select(StaffMember.office).where(
                    StaffMember.tenant_id == tenant_id,
                    StaffMember.office.in_(closing),
                    StaffMember.active.is_(True),
                )
            ).scalars()
        )
    )
    if staffed:
        reason = f"office(s) {', '.join(staffed)} still have active staff: move them first"
        raise Conflict(
            f"body.offices: {reason}", errors=[{"field": "body.offices", "reason": reason}]
        )
