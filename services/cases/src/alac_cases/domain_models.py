"""Imports every domain's models so Base.metadata (migrations, tests) sees all tables."""

from alac_cases.actions.models import Action, Note
from alac_cases.audit.models import AuditEntry, AuditHead
from alac_cases.consent.models import Consent
from alac_cases.deadlines.models import Deadline, DeadlineRule, Holiday
from alac_cases.letters.models import Letter
from alac_cases.models import Base, Case
from alac_cases.referrals.models import Referral
from alac_cases.staff.models import Assignment, StaffMember
from alac_cases.workflow.models import StatusChange

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
    "Referral",
    "StaffMember",
    "StatusChange",
]
