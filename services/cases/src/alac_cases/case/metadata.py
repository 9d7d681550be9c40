"""Every domain's tables on Base.metadata (migrations, the tenancy archive, tests), and the
staff names read with the rows that name a person."""

from sqlalchemy import select
from sqlalchemy.orm import ColumnProperty, InstrumentedAttribute, column_property

from alac_cases.actions.models import Action, Note
from alac_cases.audit.models import AuditEntry, AuditHead
from alac_cases.case.models import Base, Case
from alac_cases.consent.models import Consent
from alac_cases.deadlines.models import Deadline, DeadlineRule, Holiday
from alac_cases.letters.models import Letter
from alac_cases.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationRule,
    WaitingMessage,
)
from alac_cases.referrals.models import Referral
from alac_cases.staff.models import Assignment, StaffMember
from alac_cases.tenancy.models import TenantRecord
from alac_cases.workflow.models import StatusChange


def _staff_name(
    subject: InstrumentedAttribute[str | None], tenant_id: InstrumentedAttribute[str]
) -> ColumnProperty[str | None]:
    """The staff member's name from the staff registry (invited staff), read with the row so
    answers show a person, not an opaque id; null for members declared by id alone."""
    return column_property(
        select(StaffMember.display_name)
        .where(StaffMember.subject == subject, StaffMember.tenant_id == tenant_id)
        .correlate_except(StaffMember)
        .limit(1)
        .scalar_subquery()
    )


Case.assignee_name = _staff_name(Case.assignee, Case.tenant_id)
Note.author_name = _staff_name(Note.author, Note.tenant_id)
AuditEntry.actor_name = _staff_name(AuditEntry.actor, AuditEntry.tenant_id)

__all__ = [
    "Action",
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Case",
    "Consent",
    "Deadline",
    "DeadlineRule",
    "Holiday",
    "Letter",
    "Note",
    "Notification",
    "NotificationPreference",
    "NotificationRule",
    "Referral",
    "StaffMember",
    "StatusChange",
    "TenantRecord",
    "WaitingMessage",
]
