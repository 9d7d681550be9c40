"""The full complaint record: which reference list each field draws from, completeness, and
mapping between the API shape and the row."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_intake.reference.service import CodeCheck, check

# API field -> (row attribute, reference list). Profile fields live under `complainant`.
CODE_FIELDS: dict[str, tuple[str, str]] = {
    "channel": ("channel", "channels"),
    "request_type": ("request_type", "request_types"),
    "area": ("area", "areas"),
    "sub_area": ("sub_area", "sub_areas"),
    "authority_level": ("authority_level", "authority_levels"),
    "respondent_body_type": ("respondent_body_type", "respondent_body_types"),
    "corruption_related": ("corruption_related", "corruption_related"),
    "non_corruption_reason": ("non_corruption_reason", "non_corruption_reasons"),
    "heard_from": ("heard_from", "heard_from"),
    "prior_legal_help": ("prior_legal_help", "prior_legal_help"),
    "procedural_stage": ("procedural_stage", "procedural_stages"),
    "preferred_language": ("preferred_language", "languages"),
}
PROFILE_FIELDS: dict[str, tuple[str, str]] = {
    "type": ("complainant_type", "complainant_types"),
    "sex": ("sex", "sexes"),
    "age_band": ("age_band", "age_bands"),
    "education": ("education", "education_levels"),
    "residence": ("residence", "residence_types"),
    "region": ("region", "regions"),
    "city": ("city", "cities"),
}
PLAIN_FIELDS = (
    "crux", "help_requested", "prior_legal_help_quality", "years_pending", "appeal_deadline",
    "safe_to_contact", "documents_requested", "documents_received",
)  # fmt: skip
CONSENT_FIELDS = {
    "formal_action": "consent_formal_action",
    "documents_to_authorities": "consent_documents_to_authorities",
    "media": "consent_media",
}
# What "complete" means: the fields a lawyer and the statistics need. Conditional fields
# (non_corruption_reason, appeal_deadline) are left out so a complete record can be reached.
COMPLETENESS = (
    "request_type", "area", "sub_area", "authority_level", "respondent_body_type",
    "corruption_related", "heard_from", "prior_legal_help", "procedural_stage",
    "preferred_language", "help_requested", "documents_requested", "complainant_type", "sex",
    "age_band", "education", "residence", "region", "consent_formal_action",
)  # fmt: skip


def completeness(complaint: Complaint) -> float:
    filled = sum(1 for name in COMPLETENESS if getattr(complaint, name) not in (None, "", []))
    return round(filled / len(COMPLETENESS), 2)


def flatten(fields: dict[str, Any]) -> dict[str, Any]:
    """API-shaped fields (nested complainant and consent) -> row attributes."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in CODE_FIELDS:
            out[CODE_FIELDS[name][0]] = value
        elif name in PLAIN_FIELDS:
            out[name] = value
        elif name == "complainant" and value is not None:
            for key, item in value.items():
                out[PROFILE_FIELDS[key][0]] = item
        elif name == "consent" and value is not None:
            for key, item in value.items():
                out[CONSENT_FIELDS[key]] = item
    return out


def code_checks(fields: dict[str, Any], *, area: str | None, region: str | None) -> list[CodeCheck]:
    """Checks for every code in API-shaped `fields`; `area`/`region` are the parents in force
    (from the same request, else from the stored complaint)."""
    checks: list[CodeCheck] = []
    for name, (_, list_name) in CODE_FIELDS.items():
        value = fields.get(name)
        if value is not None:
            parent = area if name == "sub_area" else None
            checks.append(
                CodeCheck(f"body.{name}", list_name, value, parent, name.replace("_", " "))
            )
    for name, (_, list_name) in PROFILE_FIELDS.items():
        value = (fields.get("complainant") or {}).get(name)
        if value is not None:
            parent = region if name == "city" else None
            checks.append(
                CodeCheck(
                    f"body.complainant.{name}", list_name, value, parent, name.replace("_", " ")
                )
            )
    for name in ("documents_requested", "documents_received"):
        for i, value in enumerate(fields.get(name) or []):
            checks.append(CodeCheck(f"body.{name}.{i}", "documents", value, None, "document"))
    return checks


def check_codes(
    *,
    session: Session,
    tenant: str,
    fields: dict[str, Any],
    lang: str,
    area: str | None,
    region: str | None,
    keep_retired: frozenset[str] = frozenset(),
    on: date | None = None,
) -> list[dict[str, str]]:
    """Errors for the codes of a complaint, valid as of `on` (the day it was received; today
    when not given): a complaint of 2008 names the regions of 2008."""
    return check(
        session=session,
        tenant=tenant,
        checks=code_checks(fields, area=area, region=region),
        lang=lang,
        on=on or date.today(),
        allow_retired=keep_retired,
    )


def codes_date(received_at: datetime | None, offset: tzinfo = UTC) -> date | None:
    """The day reference codes are checked for: the day received, in `offset` (received_at is
    held in UTC; a bulk import passes its --utc-offset-hours, so a complaint received on 11
    March in Kazakhstan is checked for 11 March), else None (received now: today)."""
    return received_at.astimezone(offset).date() if received_at is not None else None


def to_read(complaint: Complaint, *, has_contact: bool) -> dict[str, Any]:
    data = {c.name: getattr(complaint, c.name) for c in Complaint.__table__.columns}
    data["complainant"] = {k: getattr(complaint, attr) for k, (attr, _) in PROFILE_FIELDS.items()}
    data["consent"] = {k: getattr(complaint, attr) for k, attr in CONSENT_FIELDS.items()}
    data["has_contact"] = has_contact
    return data
