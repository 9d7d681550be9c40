"""Who gets a progress e-mail, and in which language."""

from __future__ import annotations

from alac_intake.complaints.models import Complaint
from alac_kernel.languages import Language, is_language

# A complaint recorded without a language (a hotline call typed in without one) is written to
# in Russian, which the centres' hotlines answer in beside Kazakh.
FALLBACK_LANGUAGE: Language = "ru"


def may_write_to(complaint: Complaint) -> bool:
    """The complainant asked to be contacted: not anonymous, said it is safe to contact them
    (an explicit yes: unknown is no), has not withdrawn, and their personal data still exist."""
    return (
        not complaint.anonymous
        and complaint.safe_to_contact is True
        and complaint.withdrawn_at is None
        and complaint.personal_data_purged_at is None
    )


def address_of(contact: dict | None) -> str | None:
    """The e-mail address of a vault contact, if one was left."""
    email = (contact or {}).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


def language_of(complaint: Complaint) -> Language:
    """The complaint's language: the one the complainant chose (the web form's, or the one
    the volunteer noted), else the fallback."""
    chosen = complaint.preferred_language
    return chosen if is_language(chosen) else FALLBACK_LANGUAGE
