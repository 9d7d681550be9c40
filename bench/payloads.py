"""Realistic complaint bodies: Russian text, channel hotline, area education, 40 % anonymous.

Anonymous complaints make intake issue a receipt code, whose secret is stored as an scrypt
hash (N=2**14, r=8: about 16 MiB and tens of milliseconds of CPU each), so the mix matters.
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
        "region": "almaty",
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
