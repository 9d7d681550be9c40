"""Who may load which complaint. The tenant is the session's scope (another tenant's complaint
is never read); inside the tenant the kernel's visibility rule (alac_kernel.visibility) says
which offices' complaints the caller sees: lawyers, coordinators and tenant admins every
office's, volunteers and partner systems their own office's only. A complaint the caller may
not see answers exactly like a missing one (NotFound), so an id tells nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.errors import NotFound
from alac_kernel.visibility import TENANT_WIDE_ROLES, visibility

#: Staff: everyone who works on complaints (a partner system is not staff).
STAFF = frozenset({roles.VOLUNTEER, *TENANT_WIDE_ROLES})


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
    seen = visibility(principal)
    if not (seen.records and seen.sees(complaint)):
        raise NotFound("complaint")


def load_visible(session: Session, principal: Principal, complaint_id: str) -> Complaint:
    """The complaint, if the caller may see it; else NotFound."""
    complaint = get_complaint(session=session, complaint_id=complaint_id)
    visible_to(principal, complaint)
    return complaint
