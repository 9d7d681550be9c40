"""Who gets a progress e-mail, and in which language."""

from __future__ import annotations

from collections.abc import Sequence

from alac_intake.complaints.models import Complaint
from alac_kernel.languages import Language, for_centre


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


def language_of(complaint: Complaint, centre: Sequence[str] | None) -> Language:
    """The complaint's language: the one the complainant chose (the web form's, or the one
    the volunteer noted) while the centre (`centre`: the languages it works in) still works
    in it, else the centre's fallback (a complaint recorded without a language, a hotline call
    typed in without one, too): alac_kernel.languages.for_centre."""
    return for_centre(complaint.preferred_language, centre)
