"""Labels in kk, ru and en for every code a report prints.

Codes come from intake's reference lists. Analytics never reads intake's database: the default
lists are shared through the kernel (alac_kernel.reference, the same rows intake seeds its
table from), so a report needs no call to intake and still works while intake is down. What is
not in those lists gets a label here: flag values, case statuses (cases' workflow), `unspecified`
and a tenant's own age bands (intake lets a tenant replace that list; its codes follow the
pattern age_40_50 / age_under_18 / age_over_60). Anything else prints as its code.
"""

from __future__ import annotations

import re

from alac_kernel import reference

#: The reference list (alac_kernel.reference) each dimension takes its codes from.
REFERENCE_LIST = {
    "channel": "channels",
    "area": "areas",
    "sub_area": "sub_areas",
    "authority_level": "authority_levels",
    "respondent_body_type": "respondent_body_types",
    "complainant_type": "complainant_types",
    "sex": "sexes",
    "age_band": "age_bands",
    "education": "education_levels",
    "residence": "residence_types",
    "region": "regions",
    "request_type": "request_types",
    "corruption_related": "corruption_related",
    "non_corruption_reason": "non_corruption_reasons",
    "heard_from": "heard_from",
    "outcome": "outcomes",
}

_COMMON = {
    "unspecified": {"en": "Not recorded", "ru": "Не указано", "kk": "Көрсетілмеген"},
    "yes": {"en": "Yes", "ru": "Да", "kk": "Иә"},
    "no": {"en": "No", "ru": "Нет", "kk": "Жоқ"},
}
_STATUS = {
    "received": {"en": "Received", "ru": "Получено", "kk": "Қабылданды"},
    "quick_answer": {"en": "Quick answer", "ru": "Быстрый ответ", "kk": "Жедел жауап"},
    "triage": {"en": "Triage", "ru": "Сортировка", "kk": "Сұрыптау"},
    "assessment": {"en": "Assessment", "ru": "Оценка", "kk": "Бағалау"},
    "awaiting_consent": {
        "en": "Awaiting consent",
        "ru": "Ожидает согласия",
        "kk": "Келісім күтуде",
    },
    "in_action": {"en": "In action", "ru": "В работе", "kk": "Жұмыста"},
    "awaiting_response": {
        "en": "Awaiting response",
        "ru": "Ожидает ответа",
        "kk": "Жауап күтуде",
    },
    "closed": {"en": "Closed", "ru": "Закрыто", "kk": "Жабылды"},
    "reopened": {"en": "Reopened", "ru": "Возобновлено", "kk": "Қайта ашылды"},
}
_AGE_RANGE = re.compile(r"age_(\d{1,3})_(\d{1,3})")
_AGE_BOUND = re.compile(r"age_(under|over)_(\d{1,3})")
_BOUND = {
    "under": {"en": "Under {n}", "ru": "До {n}", "kk": "{n}-ге дейін"},
    "over": {"en": "Over {n}", "ru": "Старше {n}", "kk": "{n}-тан асқан"},
}


def value_label(dimension: str, code: str | None, language: str) -> str:
    """The label of `code` in `dimension`, in `language`; the code itself when none is known."""
    if code is None:
        return "—"
    found = reference.label(REFERENCE_LIST.get(dimension, ""), code, language)
    if found:
        return found
    if code in _COMMON:
        return _COMMON[code][language]
    if dimension == "status" and code in _STATUS:
        return _STATUS[code][language]
    if dimension == "age_band":
        if m := _AGE_RANGE.fullmatch(code):
            return f"{m[1]}–{m[2]}"
        if m := _AGE_BOUND.fullmatch(code):
            return _BOUND[m[1]][language].format(n=m[2])
    return code


def office_label(office: str, language: str) -> str:
    """An office's public name where the shared list has it (tk's offices), else its code."""
    return reference.label("public_offices", office, language) or office
