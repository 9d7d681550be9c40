"""Reference codes intake accepts. Kept as data so later versions can load them from the
reference tables (and localise them) without touching the validators."""

from __future__ import annotations

CHANNELS = frozenset(
    {"hotline", "walk_in", "email", "web_form", "mobile_clinic", "letter", "partner_api"}
)
REQUEST_TYPES = frozenset({"information_request", "case"})
AREAS = frozenset(
    {
        "education",
        "judicial_system",
        "property_rights",
        "housing",
        "healthcare",
        "police",
        "labour",
        "banking",
        "detention",
        "administrative_detention",
        "enforcement",
        "fair_trial",
        "media",
        "human_rights_defenders",
        "business_human_rights",
        "freedoms",
        "vulnerable_groups",
        "not_corruption_related",
    }
)
COMPLAINANT_TYPES = frozenset({"individual", "organisation", "initiative_group"})
SEXES = frozenset({"female", "male", "not_stated"})
EDUCATION = frozenset({"none", "primary", "secondary", "vocational", "higher", "not_stated"})
RESIDENCE = frozenset({"urban", "suburban", "rural", "not_stated"})
