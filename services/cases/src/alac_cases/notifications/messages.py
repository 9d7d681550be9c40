"""The words of notifications in Kazakh, Russian and English: titles per kind (filled with the
case reference, codes, counts and dates, never personal data) and the e-mails' fixed text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TITLES: dict[str, dict[str, str]] = {
    "deadline_approaching": {
        "en": "Deadline approaching: case {ref} ({rule}), due {due}",
        "ru": "Срок подходит: дело {ref} ({rule}), до {due}",
        "kk": "Мерзім жақындап қалды: іс {ref} ({rule}), {due} дейін",
    },
    "deadline_missed": {
        "en": "Deadline missed: case {ref} ({rule}), was due {due}",
        "ru": "Срок пропущен: дело {ref} ({rule}), истёк {due}",
        "kk": "Мерзім өтіп кетті: іс {ref} ({rule}), {due} аяқталды",
    },
    "case_assigned": {
        "en": "Case {ref} is assigned to you",
        "ru": "Вам назначено дело {ref}",
        "kk": "Сізге {ref} ісі тағайындалды",
    },
    "case_reassigned": {
        "en": "Case {ref} is reassigned to a colleague",
        "ru": "Дело {ref} передано коллеге",
        "kk": "{ref} ісі әріптесіңізге берілді",
    },
    "case_referred_in": {
        "en": "A case was referred to your centre by {partner}",
        "ru": "{partner} передал(а) дело в ваш центр",
        "kk": "{partner} сіздің орталыққа іс жіберді",
    },
    "complainant_message": {
        "en": "New message from the complainant: case {ref}",
        "ru": "Новое сообщение от заявителя: дело {ref}",
        "kk": "Өтініш берушіден жаңа хабарлама: іс {ref}",
    },
    "message_waiting": {
        "en": "A complainant's message has waited {days} working days for an answer: case {ref}",
        "ru": "Сообщение заявителя ждёт ответа {days} рабочих дн.: дело {ref}",
        "kk": "Өтініш берушінің хабарламасы {days} жұмыс күні жауап күтуде: іс {ref}",
    },
    "consent_recorded": {
        "en": "Consent recorded: case {ref}",
        "ru": "Согласие записано: дело {ref}",
        "kk": "Келісім жазылды: іс {ref}",
    },
    "pattern_detected": {
        "en": "Pattern alert: {dimension} = {value}, {count} complaints",
        "ru": "Сигнал о закономерности: {dimension} = {value}, жалоб: {count}",
        "kk": "Заңдылық туралы белгі: {dimension} = {value}, шағымдар: {count}",
    },
    "webhook_disabled": {
        "en": "A partner's webhook was switched off after {failures} failed deliveries",
        "ru": "Вебхук партнёра отключён после {failures} неудачных доставок",
        "kk": "Серіктестің вебхугы {failures} сәтсіз жеткізуден кейін өшірілді",
    },
    "tenant_onboarded": {
        "en": "{tenant} is onboarded: the centre is ready to work",
        "ru": "{tenant} подключён: центр готов к работе",
        "kk": "{tenant} қосылды: орталық жұмысқа дайын",
    },
}

TEXT: dict[str, dict[str, str]] = {
    "open": {"en": "Open", "ru": "Открыть", "kk": "Ашу"},
    "why": {
        "en": "You receive this as a member of staff of {tenant}. Change how you are told "
        "(e-mail, daily digest, quiet hours) in the console's notification settings.",
        "ru": "Вы получили это письмо как сотрудник {tenant}. Настройки уведомлений "
        "(почта, ежедневная сводка, тихие часы) — в консоли.",
        "kk": "Сіз бұл хатты {tenant} қызметкері ретінде алдыңыз. Хабарландыру баптаулары "
        "(пошта, күнделікті жиынтық, тыныш сағаттар) — консольде.",
    },
    "digest_subject": {
        "en": "Your notifications of {date}: {count}",
        "ru": "Ваши уведомления за {date}: {count}",
        "kk": "{date} хабарландырулары: {count}",
    },
    "digest_intro": {
        "en": "What happened since your last digest:",
        "ru": "Что произошло с прошлой сводки:",
        "kk": "Соңғы жиынтықтан бері не болды:",
    },
}


def title(kind: str, language: str, params: Mapping[str, Any]) -> str:
    texts = TITLES.get(kind)
    if texts is None:
        return kind
    template = texts.get(language) or texts["en"]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return texts["en"].format_map(_Blank(params))


def text(key: str, language: str, **params: Any) -> str:
    texts = TEXT[key]
    return (texts.get(language) or texts["en"]).format(**params)


class _Blank(dict[str, Any]):
    """Missing parameters print as '?' rather than breaking the title."""

    def __missing__(self, key: str) -> str:
        return "?"
