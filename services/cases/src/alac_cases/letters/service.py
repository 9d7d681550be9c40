"""Generating a letter of support: consent-gated action, PDF rendered and stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.actions import service as actions
from alac_cases.deadlines.calendar import KZ
from alac_cases.letters.models import Letter
from alac_cases.letters.render import LetterContent, render_pdf
from alac_cases.letters.store import LetterStore
from alac_cases.models import Case
from alac_cases.tenants import tenant_name
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.outbox import Outbox
from alac_kernel.problems import not_found


def create(
    *,
    session: Session,
    outbox: Outbox,
    store: LetterStore,
    case: Case,
    principal: Principal,
    language: str,
    authority: str,
    legal_assessment: str,
    facts: str,
    request: str,
) -> Letter:
    # The action is recorded first: it refuses a closed case, an anonymous complaint and a
    # missing documents_to_authorities consent before anything is rendered or stored.
    action = actions.record(
        session=session,
        outbox=outbox,
        case=case,
        principal=principal,
        action_type="letter_of_support",
        summary=f"Letter of support ({language}) to {authority}",
        occurred_at=utcnow(),
    )
    now = utcnow()
    pdf = render_pdf(
        LetterContent(
            language=language,
            authority=authority,
            legal_assessment=legal_assessment,
            facts=facts,
            request=request,
            lawyer=principal.username or principal.subject,
            centre=tenant_name(case.tenant_id),
            office=case.office,
            case_reference=case.id[:8],
            dated=now.astimezone(KZ).date(),
        )
    )
    letter = Letter(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        action_id=action.id,
        language=language,
        authority=authority,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        created_by=principal.subject,
        created_at=now,
    )
    session.add(letter)
    session.flush()
    # Stored before the commit, so a letter row never lacks its PDF; if the transaction then
    # fails, the caller (views.create_letter) deletes the file again.
    store.put(tenant=case.tenant_id, letter_id=letter.id, data=pdf)
    return letter


def list_letters(*, session: Session, case_id: str) -> list[Letter]:
    return list(
        session.execute(
            select(Letter).where(Letter.case_id == case_id).order_by(Letter.created_at)
        ).scalars()
    )


def get(*, session: Session, case_id: str, letter_id: str) -> Letter:
    letter = session.execute(
        select(Letter).where(Letter.id == letter_id, Letter.case_id == case_id)
    ).scalar_one_or_none()
    if letter is None:
        raise not_found("letter")
    return letter
