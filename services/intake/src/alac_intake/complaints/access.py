"""Who may load which complaint. The tenant is the session's scope (another tenant's complaint
is never read); inside the tenant, lawyers, coordinators and tenant admins see every office's
complaints, volunteers and partner systems their own office's only. A complaint the caller may
not see answers exactly like a missing one (NotFound), so an id tells nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.errors import NotFound

#: Roles that see every office of their tenant.
TENANT_WIDE = (roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)
#: Staff: everyone who works on complaints (a partner system is not staff).
STAFF = (roles.VOLUNTEER, *TENANT_WIDE)
#: The office of a caller confined to one office but without an office claim: no complaint
#: has it, so they see none.
NO_OFFICE = "-"


def office_of_caller(principal: Principal) -> str | None:
    """The one office whose complaints the caller sees, or None for the whole tenant."""
    if principal.has_any(*TENANT_WIDE):
        return None
    return principal.office or NO_OFFICE


def is_partner_system(principal: Principal) -> bool:
    """A partner system's service account: no office claim, no say over the channel, and it
    reads only the complaints it submitted."""
    return principal.has_any(roles.PARTNER) and not principal.has_any(*STAFF)


def get_complaint(*, session: Session, complaint_id: str) -> Complaint:
    """The complaint of the session's tenant, whoever asks (imports, consumers, the
    complainant's receipt code), or NotFound."""
    if "\x00" in complaint_id:
        # No id holds NUL, and PostgreSQL would refuse the query with a 500.
        raise NotFound("complaint")
    complaint = session.execute(
        select(Complaint).where(Complaint.id == complaint_id)
    ).scalar_one_or_none()
    if complaint is None:
        raise NotFound("complaint")
    return complaint


def visible_to(principal: Principal, complaint: Complaint) -> None:
    """NotFound, as for a missing complaint, unless the caller may see this one."""
    office = office_of_caller(principal)
    if office is not None and complaint.office != office:
        raise NotFound("complaint")


def load_visible(session: Session, principal: Principal, complaint_id: str) -> Complaint:
    """The complaint, if the caller may see it; else NotFound."""
    complaint = get_complaint(session=session, complaint_id=complaint_id)
    visible_to(principal, complaint)
    return complaint
