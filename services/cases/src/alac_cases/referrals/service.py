"""Referring a case to a partner tenant with the client's consent. `case.referred` carries
only what the consent allows; the receiving tenant's intake opens a new complaint from it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.actions import service as actions
from alac_cases.case_events import emit
from alac_cases.consent import service as consent
from alac_cases.models import Case
from alac_cases.referrals.models import Referral
from alac_cases.tenants import is_known, tenant_name
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.outbox import Outbox
from alac_kernel.problems import field_error

# What the caller may choose to pass on (non-personal case fields); channel and anonymous
# always travel, contact details never do (share_contact only tells the receiver to ask intake).
SHAREABLE = ("crux", "area", "contact")


def refer(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    principal: Principal,
    to_tenant: str,
    share: list[str],
    note: str | None,
) -> Referral:
    if to_tenant == case.tenant_id:
        raise field_error("body.to_tenant", "is this tenant; refer to a partner organisation")
    if not is_known(session, to_tenant):
        raise field_error("body.to_tenant", "unknown tenant (not in the tenant registry)")
    needed = ["referral"] + (["share_contact"] if "contact" in share else [])
    consent_version = consent.require(
        session=session, case=case, scopes=needed, doing="Referring the case"
    )
    action = actions.record(
        session=session,
        outbox=outbox,
        case=case,
        principal=principal,
        action_type="referral",
        summary=note or f"Referred to {to_tenant}",
        occurred_at=utcnow(),
        to_tenant=to_tenant,
    )
    shared: dict = {"channel": case.channel, "anonymous": case.anonymous}
    if "crux" in share:
        shared["crux"] = case.crux[:4000]
    if "area" in share:
        shared["area"] = case.area
    shared["share_contact"] = "contact" in share
    now = utcnow()
    referral = Referral(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        action_id=action.id,
        to_tenant=to_tenant,
        consent_version=consent_version or 0,
        shared=shared,
        referred_by=principal.subject,
        referred_at=now,
    )
    session.add(referral)
    emit(
        session=session,
        outbox=outbox,
        case=case,
        type="case.referred",
        data={
            "to_tenant": to_tenant,
            "referral_id": referral.id,
            "consent_version": referral.consent_version,
            "referred_at": now.isoformat(),
            "shared": shared,
            "from_centre": {"tenant": case.tenant_id, "name": tenant_name(session, case.tenant_id)},
            **({"note": note} if note else {}),
        },
    )
    return referral


def list_referrals(*, session: Session, case_id: str) -> list[Referral]:
    return list(
        session.execute(
            select(Referral).where(Referral.case_id == case_id).order_by(Referral.referred_at)
        ).scalars()
    )
