"""Proposals: create, change, list, and the report "proposals and adopted changes"."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_analytics.advocacy.schemas import (
    RESULT_LABELS,
    SECTION_TITLES,
    ProposalCreate,
    ProposalRead,
    ProposalUpdate,
    Result,
    Section,
)
from alac_analytics.models import Alert, ComplaintFact, Proposal, staff_names
from alac_kernel.db import new_id, one_found, session_scope, utcnow
from alac_kernel.errors import InvalidFields, PreconditionFailed
from alac_kernel.staff_names import answers_naming

# What motivated a proposal: area codes, alert ids and complaint ids.
LINKS = ("areas", "alert_ids", "complaint_ids")


def _check_links(session: Session, *, alert_ids: list[str], complaint_ids: list[str]) -> None:
    """Links must point at the caller's own tenant (the session is tenant-scoped, so another
    tenant's id is unknown here exactly like a missing one)."""
    if alert_ids:
        known = set(session.execute(select(Alert.id).where(Alert.id.in_(alert_ids))).scalars())
        unknown = sorted(set(alert_ids) - known)
        if unknown:
            raise InvalidFields.one("body.alert_ids", f"unknown alert: {unknown[0]}")
    if complaint_ids:
        known = set(
            session.execute(
                select(ComplaintFact.complaint_id).where(
                    ComplaintFact.complaint_id.in_(complaint_ids),
                    ComplaintFact.complaint_version > 0,
                )
            ).scalars()
        )
        unknown = sorted(set(complaint_ids) - known)
        if unknown:
            raise InvalidFields.one("body.complaint_ids", f"unknown complaint: {unknown[0]}")


def create(*, session: Session, tenant: str, by: str, body: ProposalCreate) -> Proposal:
    _check_links(session, alert_ids=body.alert_ids or [], complaint_ids=body.complaint_ids or [])
    now = utcnow()
    # The body's fields as they are, but what motivated the proposal as the row keeps it: each
    # list sorted, without repeats.
    links = {name: sorted(set(getattr(body, name) or [])) for name in LINKS}
    proposal = Proposal(
        id=new_id(), tenant_id=tenant, **(body.model_dump() | links), created_by=by,
        created_at=now, updated_at=now, version=1,
    )  # fmt: skip
    session.add(proposal)
    return proposal


def get(*, session: Session, proposal_id: str) -> Proposal:
    return one_found(session, select(Proposal).where(Proposal.id == proposal_id), "proposal")


def update(
    *, session: Session, proposal_id: str, body: ProposalUpdate, if_match: int | None
) -> Proposal:
    proposal = get(session=session, proposal_id=proposal_id)
    if if_match is not None and if_match != proposal.version:
        raise PreconditionFailed(f"the proposal is at version {proposal.version}")
    changes = body.model_dump(exclude_unset=True)
    for key in ("section", "text", "result"):
        if key in changes and changes[key] is None:
            raise InvalidFields.one(f"body.{key}", "may be changed but not cleared")
    _check_links(
        session,
        alert_ids=changes.get("alert_ids") or [],
        complaint_ids=changes.get("complaint_ids") or [],
    )
    for key, value in changes.items():
        if isinstance(value, list):
            value = sorted(set(value))
        setattr(proposal, key, value)
    if proposal.result_on and proposal.result_on < proposal.proposed_on:
        raise InvalidFields.one("body.result_on", "must not be before proposed_on")
    proposal.updated_at = utcnow()
    proposal.version += 1
    return proposal


def list_proposals(
    *, session: Session, section: str | None, result: str | None, area: str | None
) -> list[Proposal]:
    query = select(Proposal).order_by(Proposal.proposed_on, Proposal.id)
    if section:
        query = query.where(Proposal.section == section)
    if result:
        query = query.where(Proposal.result == result)
    found = list(session.execute(query).scalars())
    return [p for p in found if area is None or area in p.areas]


def report(*, proposals: list[Proposal]) -> dict[str, Any]:
    """The seed's table: per section, each proposal with its result, detail and document."""
    sections = []
    for code, title in SECTION_TITLES.items():
        rows = [p for p in proposals if p.section == code]
        if not rows:
            continue
        sections.append(
            {
                "section": code,
                "title": title,
                "results": dict(Counter(RESULT_LABELS[p.result] for p in rows)),
                "proposals": [
                    {
                        "id": p.id,
                        "proposal": p.text,
                        "result": RESULT_LABELS[p.result],
                        "detail": p.detail,
                        "document": p.document,
                        "proposed_on": p.proposed_on.isoformat(),
                        "result_on": p.result_on.isoformat() if p.result_on else None,
                        "areas": p.areas,
                        "motivated_by": {
                            "complaints": len(p.complaint_ids),
                            "alerts": len(p.alert_ids),
                        },
                    }
                    for p in rows
                ],
            }
        )
    adopted = sum(1 for p in proposals if p.result == "adopted")
    return {
        "n": len(proposals),
        "adopted": adopted,
        "adoption_rate": round(100.0 * adopted / len(proposals), 1) if proposals else None,
        "sections": sections,
    }


# ------------------------------------------------------------------ the use cases, one each


def answered(session: Session, tenant: str, proposals: list[Proposal]) -> list[ProposalRead]:
    """The proposals as answers, who recorded each named."""
    return answers_naming(session, staff_names, tenant, "created_by", ProposalRead, proposals)


def create_proposal(
    *, session_factory: sessionmaker[Session], tenant: str, by: str, body: ProposalCreate
) -> ProposalRead:
    with session_scope(session_factory, tenant=tenant) as session:
        proposal = create(session=session, tenant=tenant, by=by, body=body)
        session.flush()
        (answer,) = answered(session, tenant, [proposal])
        return answer


def proposals_of(
    *,
    session_factory: sessionmaker[Session],
    tenant: str,
    section: Section | None,
    result: Result | None,
    area: str | None,
) -> list[ProposalRead]:
    with session_scope(session_factory, tenant=tenant) as session:
        found = list_proposals(session=session, section=section, result=result, area=area)
        return answered(session, tenant, found)


def proposal(
    *, session_factory: sessionmaker[Session], tenant: str, proposal_id: str
) -> ProposalRead:
    with session_scope(session_factory, tenant=tenant) as session:
        (answer,) = answered(session, tenant, [get(session=session, proposal_id=proposal_id)])
        return answer


def change_proposal(
    *,
    session_factory: sessionmaker[Session],
    tenant: str,
    proposal_id: str,
    body: ProposalUpdate,
    if_match: int | None,
) -> ProposalRead:
    """Change a proposal; with `if_match`, only if it is still at that version (412)."""
    with session_scope(session_factory, tenant=tenant) as session:
        changed = update(session=session, proposal_id=proposal_id, body=body, if_match=if_match)
        session.flush()
        (answer,) = answered(session, tenant, [changed])
        return answer


def proposals_report(
    *,
    session_factory: sessionmaker[Session],
    tenant: str,
    period_from: date | None,
    period_to: date | None,
) -> dict[str, Any]:
    """The report "proposals and adopted changes" over the proposals made in the period."""
    if period_from and period_to and period_to < period_from:
        raise InvalidFields.one("query.to", "must not be before `from`")
    with session_scope(session_factory, tenant=tenant) as session:
        proposals = [
            p
            for p in list_proposals(session=session, section=None, result=None, area=None)
            if (period_from is None or p.proposed_on >= period_from)
            and (period_to is None or p.proposed_on <= period_to)
        ]
        body = report(proposals=proposals)
    body["scope"] = {
        "tenant": tenant,
        "from": period_from.isoformat() if period_from else None,
        "to": period_to.isoformat() if period_to else None,
        "basis": "proposals by the date proposed",
    }
    return body
