"""The consent gate: what the client allowed the centre to do on their behalf."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alac_cases.case.commands import Recorded, change_case, records_reader
from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.consent.models import Consent
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import Conflict
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime

SCOPES = ("formal_action", "documents_to_authorities", "media", "referral", "share_contact")


def record(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    principal: Principal,
    scopes: list[str],
    withdrawn: bool,
    how_given: str,
    note: str | None,
) -> Consent:
    """A new consent version; withdrawing leaves no scope in force."""
    last = session.execute(
        select(func.max(Consent.version)).where(Consent.case_id == case.id)
    ).scalar()
    in_force = [] if withdrawn else sorted(set(scopes))
    now = utcnow()
    consent = Consent(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        version=(last or 0) + 1,
        scopes=in_force,
        withdrawn=withdrawn,
        how_given=how_given,
        note=note,
        recorded_by=principal.subject,
        recorded_at=now,
    )
    session.add(consent)
    emit(
        session=session,
        outbox=outbox,
        case=case,
        type="case.consent_recorded",
        data={
            "consent_version": consent.version,
            "scopes": in_force,
            "withdrawn": withdrawn,
            "recorded_at": now.isoformat(),
        },
    )
    return consent


def history(*, session: Session, case_id: str) -> list[Consent]:
    return list(
        session.execute(
            select(Consent).where(Consent.case_id == case_id).order_by(Consent.version)
        ).scalars()
    )


def current(*, session: Session, case_id: str) -> Consent | None:
    return session.execute(
        select(Consent).where(Consent.case_id == case_id).order_by(Consent.version.desc()).limit(1)
    ).scalar_one_or_none()


def require(*, session: Session, case: Case, scopes: Iterable[str], doing: str) -> int | None:
    """The version of the consent covering `scopes`, or Conflict naming what is missing."""
    needed = sorted(set(scopes))
    if not needed:
        return None
    if case.anonymous:
        raise Conflict(
            f"An anonymous complaint allows a legal assessment and advice only, not {doing}.",
            title="Not possible for an anonymous complaint",
            missing_consent=needed,
        )
    consent = current(session=session, case_id=case.id)
    granted = set(consent.scopes) if consent else set()
    missing = [s for s in needed if s not in granted]
    if missing:
        raise Conflict(
            f"{doing} needs the client's consent to {', '.join(missing)}"
            + (" (consent withdrawn)" if consent and consent.withdrawn else "")
            + ".",
            title="Consent missing",
            missing_consent=missing,
            errors=[{"field": "consent", "reason": f"missing scope {s}"} for s in missing],
        )
    return consent.version if consent else None


# ---------------------------------------------------------------------- use cases


def record_consent(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    scopes: list[str],
    withdrawn: bool = False,
    how_given: str = "signed_form",
    note: str | None = None,
) -> Recorded[Consent]:
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="consent.record"
    ) as c:
        consent = record(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            scopes=scopes, withdrawn=withdrawn, how_given=how_given, note=note,
        )  # fmt: skip
        c.audit_detail = {
            "version": consent.version,
            "scopes": consent.scopes,
            "withdrawn": consent.withdrawn,
        }
    return Recorded(consent, c.case.version)


consents_of_case = records_reader("consent.read", history)
