"""The default reference lists that other services print labels from (alac_kernel.reference)
are exactly what a migrated intake database serves: every code of every list, with its label
in each language, retired rows included. A new intake migration that adds or relabels rows
without repeating them in alac_kernel.reference.ADDED fails here."""

from __future__ import annotations

from alac_intake.reference.service import LISTS
from alac_kernel import reference


def test_the_kernels_lists_are_intakes_lists(sqlite_intake):
    p = sqlite_intake
    shared = reference.lists()
    for list_name in LISTS:
        served: dict[str, dict[str, str]] = {}
        for lang in ("kk", "ru", "en"):
            answer = p.intake.get(
                f"/v1/reference/{list_name}",
                params={"lang": lang, "include_retired": "true"},
            )
            assert answer.status_code == 200, answer.text
            for item in answer.json()["items"]:
                served.setdefault(item["code"], {})[lang] = item["label"]
        assert served == shared[list_name], list_name
