"""Referring a case to a partner tenant with the client's consent. `case.referred` carries
only what the consent allows; the receiving tenant's intake opens a new complaint from it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_cases.actions import service as actions
from alac_cases.case.commands import Recorded, change_case, records_reader, rows_of_case
from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.consent import service as consent
from alac_cases.referrals.models import Referral
from alac_cases.tenancy import service as registry
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime

# What the caller may choose to pass on (non-personal case fields); channel and anonymous
# always travel, contact details never do (share_contact only tells the receiver to ask intake).
SHAREABLE = ("crux", "area", "contact")


def refer_case(
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
        raise InvalidFields.one("body.to_tenant", "is this tenant; refer to a partner organisation")
    if not registry.is_known(session=session, tenant_id=to_tenant):
        raise InvalidFields.one("body.to_tenant", "unknown tenant (not in the tenant registry)")
    if not registry.is_active(session=session, tenant_id=to_tenant):
        # A suspended centre cannot work on it, and one being offboarded would not archive
        # it (docs/tenancy.md): the referring centre keeps the case.
        reason = "the centre is suspended: it takes no referrals until it is reactivated"
        raise Conflict(
            f"body.to_tenant: {reason}", errors=[{"field": "body.to_tenant", "reason": reason}]
        )
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
            "from_centre": {
                "tenant": case.tenant_id,
                "name": registry.display_name(session=session, tenant_id=case.tenant_id),
            },
            **({"note": note} if note else {}),
        },
    )
    return referral


def list_referrals(*, session: Session, case_id: str) -> list[Referral]:
    return rows_of_case(
        session=session, model=Referral, case_id=case_id, order_by=[Referral.referred_at]
    )


# ---------------------------------------------------------------------- use cases


def refer(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    to_tenant: str,
    share: list[str],
    note: str | None = None,
) -> Recorded[Referral]:
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="referral.create"
    ) as c:
        referral = refer_case(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            to_tenant=to_tenant, share=share, note=note,
        )  # fmt: skip
        c.audit_detail = {"referral_id": referral.id, "to_tenant": referral.to_tenant}
    return Recorded(referral, c.case.version)


referrals_of_case = records_reader("referral.read", list_referrals)
