"""A synthetic but realistic complaint corpus for the search benchmark.

Crux texts are built from sentence parts in Russian (60 %), Kazakh (25 %, a third of it in the
Latin alphabet) and English (15 %): who (a school director, an akimat clerk...), what they did
(demanded a bribe...), about what, plus Zipf-distributed filler words from a larger vocabulary,
so common words are common and rare words are rare, as in real complaints. Every document also
gets the filterable fields the search API knows (tenant, office, status, area, channel,
authority level, assignee, received_at). Generation is seeded, so two runs index the same text.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

RU_WHO = [
    "директор школы", "сотрудник акимата", "инспектор полиции", "врач поликлиники",
    "судебный исполнитель", "работник земельного отдела", "заведующая детским садом",
    "председатель кооператива", "следователь", "налоговый инспектор", "начальник ЦОНа",
    "главный врач больницы", "преподаватель университета", "участковый", "нотариус",
]  # fmt: skip
RU_DID = [
    "требовал взятку", "вымогал деньги", "отказал в выдаче справки", "угрожал увольнением",
    "потребовал благодарность", "затягивает рассмотрение заявления", "просил взятки",
    "не принимает документы", "намекнул на откат", "вымогает оплату", "берёт взятки",
]  # fmt: skip
RU_WHAT = [
    "за зачисление ребёнка", "за оформление земельного участка", "за справку о несудимости",
    "за место в детском саду", "за прописку", "за разрешение на строительство",
    "за выдачу паспорта", "за приём экзамена", "за лечение матери", "за закрытие дела",
    "при распределении жилья", "при проверке магазина", "за отсрочку штрафа",
]  # fmt: skip
RU_FILLER = (
    "я обратился в прошлом месяце но ответа так и нет прошу помочь разобраться с ситуацией "
    "деньги были переданы наличными свидетели есть документы сохранились заявление писал "
    "дважды жалоба осталась без ответа сотрудники говорят что так принято очередь длинная "
    "квитанцию не выдали сумма составила тысяч тенге боюсь мести жена тоже свидетель "
    "соседи столкнулись с тем же начальство знает но молчит прошу сохранить анонимность "
    "юрист сказал что нужно обратиться в прокуратуру акимат район область город село "
    "аудиозапись разговора сообщение в мессенджере чек перевод карта кабинет коридор "
    "понедельник вторник утром вечером приём документов комиссия решение отказ повторно"
).split()
KK_WHO = [
    "мектеп директоры", "әкімдік қызметкері", "полиция инспекторы", "емхана дәрігері",
    "жер бөлімінің қызметкері", "балабақша меңгерушісі", "салық инспекторы", "сот орындаушысы",
]  # fmt: skip
KK_DID = [
    "пара сұрады", "ақша талап етті", "анықтама беруден бас тартты", "жұмыстан шығарамын деп қорқытты",
    "құжаттарды қабылдамады", "өтінішті қарауды созып жүр",
]  # fmt: skip
KK_WHAT = [
    "баланы мектепке қабылдау үшін", "жер учаскесін рәсімдеу үшін", "анықтама үшін",
    "балабақшадан орын үшін", "тіркеу үшін", "құрылысқа рұқсат үшін", "емдеу үшін",
]  # fmt: skip
KK_FILLER = (
    "мен өткен айда жүгіндім бірақ жауап жоқ көмектесуіңізді сұраймын ақша қолма қол берілді "
    "куәгерлер бар құжаттар сақталған арызды екі рет жаздым шағым жауапсыз қалды кезек ұзын "
    "түбіртек берген жоқ сома мың теңге кек алудан қорқамын көршілер де осыған тап болды "
    "аудан облыс қала ауыл кабинет дүйсенбі таңертең кешке комиссия шешім бас тарту қайтадан"
).split()
EN_WHO = [
    "the school director", "an akimat clerk", "a police inspector", "the clinic doctor",
    "a land office official", "the kindergarten head", "a tax inspector", "the bailiff",
]  # fmt: skip
EN_DID = [
    "demanded a bribe", "asked for money", "refused to issue a certificate",
    "threatened to fire me", "would not accept the documents", "keeps delaying my application",
]  # fmt: skip
EN_WHAT = [
    "for enrolling my child", "for registering a land plot", "for a certificate",
    "for a kindergarten place", "for a building permit", "for treatment of my mother",
]  # fmt: skip
EN_FILLER = (
    "i applied last month but there is still no answer please help me the money was paid in "
    "cash there are witnesses the documents were kept i wrote twice the complaint was ignored "
    "the queue is long no receipt was given the amount was thousand tenge i fear revenge "
    "neighbours had the same problem district region city village office monday morning "
    "evening commission decision refusal again recording message transfer card"
).split()
LANGUAGES = {
    "ru": (RU_WHO, RU_DID, RU_WHAT, RU_FILLER),
    "kk": (KK_WHO, KK_DID, KK_WHAT, KK_FILLER),
    "en": (EN_WHO, EN_DID, EN_WHAT, EN_FILLER),
}
_KK_LATIN = str.maketrans(
    {
        "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ж": "j",
        "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
        "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ç", "ш": "ş",
        "ы": "y", "і": "ı", "э": "e", "ю": "iu", "я": "ia",
    }
)  # fmt: skip

TENANTS = {  # tenant: (share of documents, offices)
    "tk": (0.6, ["almaty", "astana", "shymkent", "karaganda", "aktobe", "pavlodar"]),
    "ndi": (0.3, ["shymkent", "taraz", "turkestan"]),
    "kyz": (0.1, ["kyzylorda", "aralsk"]),
}
STATUSES = [("received", 30), ("triage", 15), ("assessment", 10), ("awaiting_consent", 5),
            ("in_action", 15), ("awaiting_response", 10), ("closed", 15)]  # fmt: skip
AREAS = ["education", "health", "land", "police", "courts", "housing", "social_benefits",
         "taxes", "utilities", "business", "employment", "other"]  # fmt: skip
CHANNELS = ["hotline", "walk_in", "web_form", "email", "messenger", "outreach"]
LEVELS = ["local", "regional", "central", "private_organisation", "undefined"]
BODIES = ["school", "akimat", "police", "hospital", "court", "land_office", "tax_office",
          "kindergarten", "university", "public_service_centre"]  # fmt: skip
LAWYERS = [f"lawyer-{i}" for i in range(12)]
START = datetime(2023, 1, 1, tzinfo=UTC)


def _zipf_weights(n: int) -> list[float]:
    return [1.0 / (i + 1) for i in range(n)]


def _crux(rng: random.Random, language: str, latin: bool) -> str:
    who, did, what, filler = LANGUAGES[language]
    weights = _zipf_weights(len(filler))
    parts = [rng.choice(who), rng.choice(did), rng.choice(what) + "."]
    parts += rng.choices(filler, weights=weights, k=rng.randint(12, 40))
    text = " ".join(parts)
    text = text[0].upper() + text[1:]
    return text.translate(_KK_LATIN) if latin else text


def documents(n: int, *, seed: int = 6) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """(tenant, complaint id, version, fields) for n complaints, with their case fields."""
    rng = random.Random(seed)
    tenants = list(TENANTS)
    shares = [TENANTS[t][0] for t in tenants]
    statuses, status_weights = zip(*STATUSES, strict=True)
    for i in itertools.count():
        if i >= n:
            return
        tenant = rng.choices(tenants, weights=shares)[0]
        r = rng.random()
        language = "ru" if r < 0.6 else "kk" if r < 0.85 else "en"
        status = rng.choices(statuses, weights=status_weights)[0]
        received = START + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        fields: dict[str, Any] = {
            "office": rng.choice(TENANTS[tenant][1]),
            "channel": rng.choice(CHANNELS),
            "area": rng.choice(AREAS),
            "authority_level": rng.choice(LEVELS),
            "respondent_body_type": rng.choice(BODIES),
            "request_type": "case",
            "corruption_related": rng.choice(["yes", "no", "indirect"]),
            "preferred_language": language,
            "received_at": received.isoformat(),
            "crux": _crux(rng, language, latin=language == "kk" and rng.random() < 0.33),
            "status": status,
        }
        if status != "received":
            fields["case_id"] = f"k{i:07d}"
            fields["assignee"] = rng.choice(LAWYERS)
        yield tenant, f"c{i:07d}", 1, fields
