"""Where the complaint's code tells the partners package about a change: a partner system
submitted a complaint, or the complainant-facing status of a complaint moved."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_intake.partners import events as partner_events
from alac_intake.partners.service import partner_of
from alac_kernel.auth.principal import Principal
from alac_kernel.events import ContractRegistry


def partner_submitted(
    session: Session, contracts: ContractRegistry, principal: Principal, complaint: Complaint
) -> None:
    partner = partner_of(session, principal, create=True)
    if partner is not None and partner.active:
        partner_events.complaint_received(session, contracts, complaint, partner)


def public_status_changed(
    session: Session, contracts: ContractRegistry, complaint: Complaint, status: str
) -> None:
    partner_events.status_changed(session, contracts, complaint, status)
