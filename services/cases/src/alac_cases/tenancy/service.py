"""Onboarding, suspension and offboarding of a centre, step by step.

Onboarding is a sequence of steps, each recorded in the registry row when done, so an
interrupted onboarding (the identity provider down, the process killed) is completed by
sending the same request again:

1. `registered`    the registry row, status `onboarding` (no service knows the tenant yet)
2. `organization`  the identity provider's organization (alias = tenant id)
3. `groups`        the centre's role groups (`/<tenant>/volunteers`, ... `/tenant-admins`),
                   each mapped to its role
4. `admin`         the first tenant admin, invited with required actions, in `tenant-admins`
5. `announced`     in one transaction: status `active`, the admin in the staff registry, and
                   the `staff.invited` and `tenant.onboarded` events in the outbox; each
                   service provisions itself from `tenant.onboarded` (intake: public offices,
                   reference lists, data keys; analytics: threshold; search: routing)

The identity provider is checked before step 1: when it cannot be reached the answer is 503
with Retry-After and nothing at all is written. A failure after step 1 leaves a tenant in
`onboarding`, which no service knows and no token of which is accepted by a service as a
known tenant; re-running the request resumes at the first step not done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_cases.deadlines import service as deadline_rules
from alac_cases.staff import service as staff
from alac_cases.tenancy.archive import delete_tenant
from alac_cases.tenancy.events import TENANT_EVENTS
from alac_cases.tenancy.models import TenantRecord
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.errors import (
    BadGateway,
    Conflict,
    DomainError,
    InvalidFields,
    NotFound,
    Unavailable,
)
from alac_kernel.identity import IdentityAdmin, IdentityRefused, IdentityUnavailable
from alac_kernel.outbox import Outbox
from alac_kernel.tenants import (
    ACTIVE,
    OFFBOARDED,
    ONBOARDING,
    SUSPENDED,
    TenantSpec,
    announced,
)
from alac_kernel.tenants.archive import Rows, build_archive

STEPS = ("registered", "organization", "groups", "admin", "announced")


def unavailable(exc: IdentityUnavailable) -> Unavailable:
    return Unavailable(
        f"The identity provider cannot be reached ({exc}); nothing was left half-made. "
        "Send the same request again later: it resumes where it stopped.",
        title="Identity provider unavailable",
        headers={"Retry-After": str(exc.retry_after_s)},
        retry_after_s=exc.retry_after_s,
    )


def refused(exc: IdentityRefused, field: str | None = None) -> DomainError:
    """The identity provider's refusal: a conflict (a taken username or e-mail), else a bad
    field when the refusal is about one, else a refusal the caller cannot fix."""
    if field:
        kind = Conflict if exc.status == 409 else InvalidFields
        return kind(str(exc), errors=[{"field": field, "reason": str(exc)}])
    if exc.status == 409:
        return Conflict(f"The identity provider refused: {exc}")
    return BadGateway(f"The identity provider refused: {exc}")


def emit_tenant_event(
    *, session: Session, outbox: Outbox, record: TenantRecord, type: str, data: dict[str, Any]
) -> None:
    record.version += 1
    session.flush()
    if "tenant" in data:  # the entry as events carry it (no logo)
        data = {**data, "tenant": announced(data["tenant"])}
    event = TENANT_EVENTS.new(
        type, subject=record.id, tenant=record.id, version=record.version,
        data={"tenant_id": record.id, **data},
    )  # fmt: skip
    outbox.record(session, event)


# ---------------------------------------------------------------------- reading


def get(*, session: Session, tenant_id: str) -> TenantRecord | None:
    return session.get(TenantRecord, tenant_id)


def list_all(*, session: Session) -> list[TenantRecord]:
    return list(session.execute(select(TenantRecord).order_by(TenantRecord.id)).scalars())


def every_tenant(session_factory: sessionmaker[Session]) -> list[TenantRecord]:
    with session_scope(session_factory, all_tenants=True) as session:
        return list_all(session=session)


def one_tenant(session_factory: sessionmaker[Session], tenant_id: str) -> TenantRecord:
    with session_scope(session_factory, all_tenants=True) as session:
        record = get(session=session, tenant_id=tenant_id)
        if record is None:
            raise NotFound(f"tenant {tenant_id!r}")
        return record


def spec_of(record: TenantRecord) -> dict[str, Any]:
    return record.spec


def display_name(*, session: Session, tenant_id: str, language: str = "en") -> str:
    """The centre's name for letters and referrals, else the tenant id."""
    record = session.get(TenantRecord, tenant_id)
    if record is None:
        return tenant_id
    names = record.spec.get("names", {})
    return names.get(language) or names.get("en") or tenant_id


def is_known(*, session: Session, tenant_id: str) -> bool:
    """A tenant a case may be referred to: active or suspended, never one still onboarding or
    offboarded."""
    record = session.get(TenantRecord, tenant_id)
    return record is not None and record.status in (ACTIVE, SUSPENDED)


def is_active(*, session: Session, tenant_id: str) -> bool:
    record = session.get(TenantRecord, tenant_id)
    return record is not None and record.status == ACTIVE


def offices_of(*, session: Session, tenant_id: str) -> list[str] | None:
    """The tenant's office codes from the registry, or None when it is not in the registry
    (tenants from before the registry keep working without office checks)."""
    record = session.get(TenantRecord, tenant_id)
    if record is None:
        return None
    return [o["code"] for o in record.spec.get("offices", [])]


def languages_of(*, session: Session, tenant_id: str) -> list[str] | None:
    """The languages the centre works in (the registry's `languages`), or None when it is not
    in the registry (every language, as before the registry)."""
    record = session.get(TenantRecord, tenant_id)
    if record is None:
        return None
    return list(record.spec.get("languages") or []) or None


# ---------------------------------------------------------------------- onboarding


def onboard(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    identity: IdentityAdmin,
    spec: TenantSpec,
) -> tuple[TenantRecord, bool]:
    """Onboard or resume onboarding `spec`; (the record, whether anything was done now)."""
    public = spec.public()
    admin = spec.admin.model_dump(mode="json")
    with session_scope(session_factory, all_tenants=True) as session:
        record = session.get(TenantRecord, spec.id)
        if record is not None and record.status != ONBOARDING:
            raise _taken("body.id", f"tenant {spec.id!r} already exists (status {record.status})")
        if record is not None and (record.spec != public or record.admin != admin):
            raise _taken(
                "body.id",
                f"an onboarding of {spec.id!r} with other settings was started; send the same "
                "centre again to resume it",
            )
        taken = _name_taken(session, spec)
        if taken:
            raise _taken("body.names.en", taken)
    try:
        identity.check()
    except IdentityUnavailable as exc:
        raise unavailable(exc) from None

    if record is None:
        with session_scope(session_factory, all_tenants=True) as session:
            now = utcnow()
            session.add(
                TenantRecord(
                    id=spec.id, spec=public, status=ONBOARDING, steps_done=["registered"],
                    admin=admin, version=0, created_at=now, updated_at=now,
                )
            )  # fmt: skip
    did_something = False
    try:
        if not _done(session_factory, spec.id, "organization"):
            # Keycloak wants a domain per organization, unique in the realm; the centre's
            # own mail domain may be shared (a webmail provider), so the tenant id makes one.
            org_id = identity.ensure_organization(spec.id, spec.names.en)
            _record_step(session_factory, spec.id, "organization", organization_id=org_id)
            did_something = True
        if not _done(session_factory, spec.id, "groups"):
            identity.ensure_role_groups(spec.id)
            _record_step(session_factory, spec.id, "groups")
            did_something = True
        if not _done(session_factory, spec.id, "admin"):
            office = spec.admin.office or spec.offices[0].code
            account = identity.invite(
                spec.id,
                username=spec.admin.username,
                email=spec.admin.email,
                first_name=spec.admin.first_name,
                last_name=spec.admin.last_name,
                office=office,
                role=roles.TENANT_ADMIN,
                language=spec.admin.language,
                organization_id=organization_of(session_factory, spec.id),
            )
            _record_step(session_factory, spec.id, "admin", admin_user_id=account.id)
            did_something = True
    except IdentityUnavailable as exc:
        raise unavailable(exc) from None
    except IdentityRefused as exc:
        raise refused(exc, "body.admin.username" if exc.status == 409 else None) from None

    with session_scope(session_factory, tenant=spec.id) as session:
        record = session.get(TenantRecord, spec.id)
        assert record is not None
        if "announced" not in record.steps_done:
            assert record.admin_user_id is not None  # the "admin" step above recorded it
            office = spec.admin.office or spec.offices[0].code
            staff.record_invited(
                session=session, outbox=outbox, tenant_id=spec.id, subject=record.admin_user_id,
                username=spec.admin.username, display_name=f"{spec.admin.first_name} "
                f"{spec.admin.last_name}", position=None, email=spec.admin.email,
                office=office, role=roles.TENANT_ADMIN, language=spec.admin.language,
            )  # fmt: skip
            deadline_rules.apply_registry_deadlines(
                session=session, tenant_id=spec.id, deadlines=record.spec.get("deadlines") or {}
            )
            record.status = ACTIVE
            record.steps_done = [*record.steps_done, "announced"]
            record.updated_at = utcnow()
            emit_tenant_event(
                session=session, outbox=outbox, record=record, type="tenant.onboarded",
                data={"tenant": record.spec, "status": ACTIVE,
                      "onboarded_at": record.updated_at.isoformat()},
            )  # fmt: skip
            did_something = True
        session.flush()
        session.expunge(record)
    return record, did_something


def _taken(field: str, reason: str) -> Conflict:
    return Conflict(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _name_taken(session: Session, spec: TenantSpec) -> str | None:
    for other in list_all(session=session):
        if other.id != spec.id and other.status != OFFBOARDED:
            if other.spec.get("names", {}).get("en", "").lower() == spec.names.en.lower():
                return f"the name {spec.names.en!r} is already the name of tenant {other.id!r}"
    return None


def _done(factory: sessionmaker[Session], tenant_id: str, step: str) -> bool:
    with session_scope(factory, all_tenants=True) as session:
        record = session.get(TenantRecord, tenant_id)
        return record is not None and step in record.steps_done


def organization_of(factory: sessionmaker[Session], tenant_id: str) -> str | None:
    """The tenant's organization id in the identity provider, as its onboarding recorded it
    (None: not recorded; the provider is asked by alias)."""
    with session_scope(factory, all_tenants=True) as session:
        record = session.get(TenantRecord, tenant_id)
        return record.organization_id if record is not None else None


def _record_step(factory: sessionmaker[Session], tenant_id: str, step: str, **fields: Any) -> None:
    with session_scope(factory, all_tenants=True) as session:
        record = session.get(TenantRecord, tenant_id)
        assert record is not None
        for name, value in fields.items():
            setattr(record, name, value)
        record.steps_done = [*record.steps_done, step]
        record.updated_at = utcnow()


# ---------------------------------------------------------------------- suspend, reactivate


def _load_for_change(session: Session, tenant_id: str, allowed: tuple[str, ...]) -> TenantRecord:
    record = session.get(TenantRecord, tenant_id)
    if record is None:
        raise NotFound(f"tenant {tenant_id!r}")
    if record.status not in allowed:
        raise Conflict(
            f"Tenant {tenant_id!r} is {record.status}; allowed from: {', '.join(allowed)}."
        )
    return record


def suspend(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    identity: IdentityAdmin,
    tenant_id: str,
    reason: str | None,
) -> TenantRecord:
    """Logins refused (the organization and its enabled accounts are disabled; the accounts
    disabled are recorded so reactivation enables exactly those), data kept. The identity
    change comes first: when it fails nothing changes here, and sending it again completes."""
    with session_scope(session_factory, all_tenants=True) as session:
        _load_for_change(session, tenant_id, (ACTIVE,))
    disabled = _identity(lambda: identity.suspend(tenant_id))
    with session_scope(session_factory, tenant=tenant_id) as session:
        record = _load_for_change(session, tenant_id, (ACTIVE, SUSPENDED))
        if record.status == ACTIVE:
            record.suspended_accounts = disabled
            record.status = SUSPENDED
            record.updated_at = utcnow()
            emit_tenant_event(
                session=session, outbox=outbox, record=record, type="tenant.suspended",
                data={"suspended_at": record.updated_at.isoformat(), "reason": reason},
            )  # fmt: skip
        session.flush()
        session.expunge(record)
        return record


def reactivate(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    identity: IdentityAdmin,
    tenant_id: str,
) -> TenantRecord:
    with session_scope(session_factory, all_tenants=True) as session:
        accounts = list(_load_for_change(session, tenant_id, (SUSPENDED,)).suspended_accounts or [])
    _identity(lambda: identity.lift_suspension(tenant_id, accounts))
    with session_scope(session_factory, tenant=tenant_id) as session:
        record = _load_for_change(session, tenant_id, (SUSPENDED, ACTIVE))
        if record.status == SUSPENDED:
            record.suspended_accounts = []
            record.status = ACTIVE
            record.updated_at = utcnow()
            emit_tenant_event(
                session=session, outbox=outbox, record=record, type="tenant.updated",
                data={"tenant": record.spec, "status": ACTIVE,
                      "updated_at": record.updated_at.isoformat()},
            )  # fmt: skip
        session.flush()
        session.expunge(record)
        return record


def _identity(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except IdentityUnavailable as exc:
        raise unavailable(exc) from None
    except IdentityRefused as exc:
        raise refused(exc) from None


# ---------------------------------------------------------------------- offboarding


def offboard(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    identity: IdentityAdmin,
    tenant_id: str,
    archive_dir: Path,
    export: Callable[[Session, str], Rows],
    intake_rows: Callable[[], Rows],
) -> tuple[TenantRecord, Path]:
    """Export the tenant's case files and intake's rows (asked of intake, which closes the
    tenant's public offices first) as one zip archive, delete its accounts and organization,
    then announce tenant.offboarded, on which every service deletes what it holds of the
    tenant (intake deletes the tenant's data keys: its encrypted personal data is destroyed
    with them, in the archive too). Only a suspended tenant can be offboarded: nobody is
    working in it. Nothing is deleted before the archive is written."""
    with session_scope(session_factory, all_tenants=True) as session:
        _load_for_change(session, tenant_id, (SUSPENDED,))
    # Intake first: once it answered, nothing new arrives for the tenant there.
    intake = intake_rows()
    with session_scope(session_factory, tenant=tenant_id) as session:
        record = _load_for_change(session, tenant_id, (SUSPENDED,))
        tables = export(session, tenant_id)
        tables["tenant_registry"] = [{"id": record.id, "spec": record.spec}]
    data, digest = build_archive(tenant_id, {"cases": tables, "intake": intake})
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = archive_dir / f"{tenant_id}-{digest[:12]}.zip"
    path.write_bytes(data)
    path.chmod(0o600)
    _identity(lambda: identity.delete_organization(tenant_id))
    with session_scope(session_factory, tenant=tenant_id) as session:
        record = _load_for_change(session, tenant_id, (SUSPENDED,))
        record.status = OFFBOARDED
        record.archive_sha256 = digest
        record.updated_at = utcnow()
        emit_tenant_event(
            session=session, outbox=outbox, record=record, type="tenant.offboarded",
            data={"offboarded_at": record.updated_at.isoformat(), "archive_sha256": digest},
        )  # fmt: skip
        session.flush()
        delete_tenant(session, tenant_id)
        session.expunge(record)
        return record, path


def platform_principal(tenant: str) -> Principal:
    """The actor recorded when the registry, not a person of the tenant, changes its data."""
    return Principal(
        subject="registry", username="registry", tenant=tenant, office=None,
        roles=frozenset({roles.PLATFORM_ADMIN}), client_id=None, token_id=None,
    )  # fmt: skip
