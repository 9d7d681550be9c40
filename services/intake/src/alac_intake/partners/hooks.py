"""Where intake's complaint code tells the partners package about a change (imported late by
the callers, so the complaint modules do not depend on this package at import time)."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session

from alac_intake.partners import events as partner_events
from alac_intake.partners.service import partner_of
from alac_kernel.auth.principal import Principal
from alac_kernel.events import ContractRegistry, default_registry


def partner_submitted(
    session: Session, contracts: ContractRegistry, principal: Principal, complaint
) -> None:  # type: ignore[no-untyped-def]
    partner = partner_of(session, principal, create=True)
    if partner is not None and partner.active:
        partner_events.complaint_received(session, contracts, complaint, partner)


def public_status_changed(
    session: Session, complaint, status: str, contracts: ContractRegistry | None = None
) -> None:  # type: ignore[no-untyped-def]
    partner_events.status_changed(session, contracts or _contracts(), complaint, status)


@functools.cache
def _contracts() -> ContractRegistry:
    return default_registry()
