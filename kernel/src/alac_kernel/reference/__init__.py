"""The default reference lists (codes and their kk/ru/en labels), shared by every service.

Intake seeds its `reference_values` table from them and owns the codes a complaint may carry;
reports in other services need only the labels, and read them here rather than from intake's
database. `ADDED` repeats the rows intake's later migrations inserted (the seed is frozen), and
a test in intake checks that this module and a migrated intake database agree. A tenant's own
list (intake lets a tenant replace `age_bands`) is not here: its codes print as codes.
"""

from __future__ import annotations

from functools import cache

from alac_kernel.reference.seed_v1 import CITIES, LISTS, PUBLIC_OFFICES, REGIONS

#: Rows intake's migrations added after the seed: (list, code, en, ru, kk).
ADDED: tuple[tuple[str, str, str, str, str], ...] = (
    # b3e8f1c2d4a7
    (
        "outcomes",
        "withdrawn",
        "Withdrawn by the complainant",
        "Отозвано заявителем",
        "Өтініш беруші кері қайтарып алды",
    ),
    # cf211cc32868
    (
        "channels",
        "referral",
        "Referral from another centre",
        "Передано другим центром",
        "Басқа орталықтан жіберілген",
    ),
)

Labels = dict[str, dict[str, str]]  # code -> language -> label


@cache
def lists() -> dict[str, Labels]:
    """Every default list: list name -> code -> {"en", "ru", "kk"} (retired rows included, so
    old complaints still print a label)."""
    out: dict[str, Labels] = {}

    def add(list_name: str, code: str, en: str, ru: str, kk: str) -> None:
        out.setdefault(list_name, {})[code] = {"en": en, "ru": ru, "kk": kk}

    for list_name, items in LISTS.items():
        for item in items:
            add(list_name, *item[:4])
    for code, en, ru, kk, *_ in REGIONS:
        add("regions", code, en, ru, kk)
    for code, en, ru, kk, *_ in CITIES:
        add("cities", code, en, ru, kk)
    for _tenant, office, en, ru, kk in PUBLIC_OFFICES:
        add("public_offices", office, en, ru, kk)
    for list_name, code, en, ru, kk in ADDED:
        add(list_name, code, en, ru, kk)
    return out


def codes(list_name: str) -> frozenset[str]:
    """The codes of a default list (empty for an unknown list)."""
    return frozenset(lists().get(list_name, {}))


def label(list_name: str, code: str, language: str) -> str | None:
    """The code's label in `language` (kk, ru, en), or None when the list has no such code."""
    entry = lists().get(list_name, {}).get(code)
    return entry[language] if entry else None
