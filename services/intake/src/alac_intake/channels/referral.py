"""The referral channel, a handler of `case.referred` (handlers.py): the receiving centre
(`to_tenant`) gets a new complaint, channel `referral`, carrying only what `shared` allows. The contact is copied from the vault,
re-encrypted under the receiving tenant's key, only when `share_contact` is true.

The consumer's session is scoped to the sending tenant (the event's tenant): the contact is
read there, then the session's scope is switched to the receiving tenant for every write, so
no query of the new complaint can see or touch the sender's rows."""

from __future__ import annotations

import logging

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from alac_intake.complaints import record
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ComplaintCreate, ContactDetails
from alac_intake.complaints.service import register_complaint
from alac_intake.reference.offices import receiving_office
from alac_intake.vault import service as vault
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import TENANT_KEY
from alac_kernel.events import Event
from alac_kernel.outbox import Outbox
from alac_kernel.tenants import OFFBOARDED
from alac_kernel.tenants.standing import standing_of

log = logging.getLogger("alac.intake.referral")
REFERRAL = "referral"
# Said in the receiving centre's complaint when the consent did not allow sharing the crux.
NOT_SHARED = "Referred by another centre; the complaint text was not shared."


def receive(
    session: Session, event: Event, *, keys: MasterKeys, outbox: Outbox, standing: Table
) -> None:
    """The referred complaint, registered in the receiving tenant (once per referral)."""
    data, shared = event.data, event.data["shared"]
    to_tenant = data["to_tenant"]
    if to_tenant == event.tenantid:
        log.warning("referral to the same tenant ignored", extra={"event": event.id})
        return
    if standing_of(session, standing, to_tenant) == OFFBOARDED:
        # Late news for a centre whose rows are gone for good: nothing is made for it (cases
        # refuses referrals to a centre once it is suspended, so only one sent before that
        # and delivered after the offboarding lands here; the referring centre keeps it).
        log.warning("referral to an offboarded centre dropped", extra={"event": event.id})
        return
    contact = None
    if shared.get("share_contact") and not shared.get("anonymous"):
        contact = vault.load_contact(session=session, keys=keys, complaint_id=data["complaint_id"])
    sender = session.info.get(TENANT_KEY)
    session.info[TENANT_KEY] = to_tenant
    try:
        external_id = f"referral:{data['referral_id']}"
        if session.execute(
            select(Complaint.id).where(Complaint.external_id == external_id)
        ).first():
            return
        office = receiving_office(session, to_tenant)
        fields = {k: shared[k] for k in ("area", "sub_area") if shared.get(k)}
        # Codes the receiving tenant does not know are dropped, not fatal: the referral
        # must arrive, and its staff complete the record.
        bad = {
            e["field"].removeprefix("body.")
            for e in record.check_codes(
                session=session, tenant=to_tenant, fields=fields, lang="en",
                area=fields.get("area"), region=None,
            )
        }  # fmt: skip
        if "area" in bad:
            bad.add("sub_area")
        fields = {k: v for k, v in fields.items() if k not in bad}
        payload = ComplaintCreate(
            channel=REFERRAL,
            crux=shared.get("crux") or NOT_SHARED,
            help_requested=shared.get("help_requested"),
            anonymous=bool(shared.get("anonymous")),
            contact=ContactDetails(**contact) if contact else None,
            **fields,
        )
        principal = Principal(
            subject=REFERRAL, username=None, tenant=to_tenant, office=office,
            roles=frozenset(), client_id=None, token_id=None,
        )  # fmt: skip
        accepted = register_complaint(
            session=session, outbox=outbox, principal=principal, payload=payload,
            correlation_id=event.correlationid, keys=keys,
            registered_by=REFERRAL, external_id=external_id,
        )  # fmt: skip
        # Who sent it and why, for the receiving centre's staff; kept on the row only, not
        # repeated in complaint.received.
        complaint = session.get(Complaint, accepted.id)
        if complaint is not None:
            sender_name = (data.get("from_centre") or {}).get("name") or event.tenantid
            complaint.referred_from = sender_name[:200]
            complaint.referral_note = data.get("note")
    finally:
        session.info[TENANT_KEY] = sender
