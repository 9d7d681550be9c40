"""Realistic complaint bodies: Russian text, channel hotline, area education, 40 % anonymous.

Every complaint gets a receipt code, whose secret is stored as an scrypt hash (N=2**14, r=8:
about 16 MiB and tens of milliseconds of CPU each). Named complaints of the `full` variant also
carry contact details, which the vault encrypts.
"""

from __future__ import annotations

import random
from typing import Any

ANONYMOUS_SHARE = 0.4

_CRUX = (
    "Директор школы № {n} требует взнос в «фонд класса» за зачисление ребёнка в первый класс.",
    "Заведующая детским садом в микрорайоне {n} берёт деньги за место в очереди.",
    "Учитель математики намекает, что без платных занятий у него оценку за четверть не исправить.",
    "В колледже за допуск к экзаменам требуют купить «подарок» комиссии, сумма {n}000 тенге.",
    "Родительский комитет собирает деньги на ремонт, но школа уже получила бюджет на ремонт.",
    "Для перевода в другую школу завуч просит «благодарность», иначе документы задерживают.",
)
_HELP = (
    "Прошу разъяснить, законно ли это, и помочь подать жалобу.",
    "Хочу знать, куда обратиться, чтобы это прекратили.",
    "Нужна консультация юриста.",
    None,
)
_PROFILES = (
    {
        "type": "individual",
        "sex": "female",
        "education": "higher",
        "residence": "urban",
        "region": "almaty_city",
    },
    {"type": "individual", "sex": "male", "education": "secondary", "residence": "rural"},
    {"type": "initiative_group", "residence": "suburban"},
    {},
)


def complaint_bodies(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """`count` bodies; exactly round(count * 0.4) of them anonymous, in a shuffled order."""
    rng = random.Random(seed)
    anonymous = round(count * ANONYMOUS_SHARE)
    flags = [True] * anonymous + [False] * (count - anonymous)
    rng.shuffle(flags)
    bodies = []
    for i, anon in enumerate(flags):
        body: dict[str, Any] = {
            "channel": "hotline",
            "area": "education",
            "request_type": rng.choice(("case", "information_request")),
            "crux": rng.choice(_CRUX).format(n=rng.randint(1, 180)) + f" (обращение {i})",
            "anonymous": anon,
            "complainant": dict(rng.choice(_PROFILES)),
        }
        help_text = rng.choice(_HELP)
        if help_text:
            body["help_requested"] = help_text
        bodies.append(body)
    return bodies


# The `full` variant: every field of the record (DOMAIN.md), and contact details on every named
# complaint so the vault encrypts them (AES-GCM) and derives the pseudonym (HMAC).
_FULL_PROFILES = (
    {"type": "individual", "sex": "female", "age_band": "age_36_45", "education": "higher",
     "residence": "urban", "region": "almaty_city", "city": "almaty"},
    {"type": "individual", "sex": "male", "age_band": "age_26_35", "education": "secondary",
     "residence": "rural", "region": "akmola"},
    {"type": "initiative_group", "residence": "suburban", "region": "astana_city"},
)  # fmt: skip


def full_complaint_bodies(count: int, seed: int = 2027) -> list[dict[str, Any]]:
    """`count` full-record bodies; 40 % anonymous (no contact), the rest with a contact."""
    rng = random.Random(seed)
    bodies = []
    for i, body in enumerate(complaint_bodies(count, seed)):
        body.update(
            sub_area=rng.choice(("school_payments", "exam_bribes", "paid_education_contracts")),
            authority_level=rng.choice(("local", "regional")),
            respondent_body_type=rng.choice(("school", "university", "akimat")),
            corruption_related=rng.choice(("yes", "indirect")),
            heard_from=rng.choice(("friends_relatives", "internet", "tv")),
            prior_legal_help="lawyer",
            prior_legal_help_quality="Юрист ответил формально, без разбора документов.",
            procedural_stage=rng.choice(("none", "pre_trial")),
            years_pending=rng.randint(0, 3),
            appeal_deadline="2026-12-15",
            preferred_language=rng.choice(("ru", "kk")),
            safe_to_contact=True,
            documents_requested=["identity_document", "receipt_or_payment_proof"],
            documents_received=["identity_document"],
            consent={"formal_action": True, "documents_to_authorities": True, "media": False},
            complainant=dict(rng.choice(_FULL_PROFILES)),
            help_requested=body.get("help_requested") or "Нужна консультация юриста.",
        )
        if not body["anonymous"]:
            body["contact"] = {
                "name": f"Заявитель {i}",
                "phone": f"+7 701 {rng.randint(100, 999)} {rng.randint(10, 99)} {i % 100:02d}",
                "email": f"complainant{i}@example.kz",
                "address": f"г. Алматы, ул. Абая, д. {rng.randint(1, 200)}",
                "identity_document": f"{rng.randint(10**8, 10**9 - 1)}",
            }
        bodies.append(body)
    return bodies
