"""Intake's own validation messages in the platform's languages (alac_kernel.languages); the
caller's language comes from the request (views.Language, the kernel's `negotiate`).

Reasons start with a stable English-like key in `en`, so clients may also match on them."""

from __future__ import annotations

from alac_kernel.languages import DEFAULT

MESSAGES: dict[str, dict[str, str]] = {
    "unknown_code": {
        "en": "unknown {what} {value!r}",
        "ru": "неизвестное значение {value!r} в поле «{what}»",
        "kk": "«{what}» өрісінде белгісіз мән {value!r}",
    },
    "retired_code": {
        "en": "retired {what} {value!r}: no longer accepted on new data",
        "ru": "значение {value!r} в поле «{what}» больше не действует",
        "kk": "«{what}» өрісіндегі {value!r} мәні енді қолданылмайды",
    },
    "not_yet_valid_code": {
        "en": "{what} {value!r} did not exist yet on {on}",
        "ru": "значения {value!r} в поле «{what}» на {on} ещё не было",
        "kk": "«{what}» өрісіндегі {value!r} мәні {on} күні әлі болмаған",
    },
    "wrong_parent": {
        "en": "{what} {value!r} does not belong to {parent!r}",
        "ru": "значение {value!r} в поле «{what}» не относится к {parent!r}",
        "kk": "«{what}» өрісіндегі {value!r} мәні {parent!r} мәніне жатпайды",
    },
    "centre_language": {
        "en": "the centre works in {offered}",
        "ru": "центр работает на языках: {offered}",
        "kk": "орталық мына тілдерде жұмыс істейді: {offered}",
    },
    "anonymous_with_contact": {
        "en": "an anonymous complaint carries no contact details",
        "ru": "анонимное обращение не содержит контактных данных",
        "kk": "жасырын өтініште байланыс деректері болмайды",
    },
    "unknown_tenant": {
        "en": "unknown centre {value!r}: choose one from /v1/reference/public_offices",
        "ru": "неизвестный центр {value!r}: выберите из /v1/reference/public_offices",
        "kk": "белгісіз орталық {value!r}: /v1/reference/public_offices тізімінен таңдаңыз",
    },
    "unknown_office": {
        "en": "unknown office {value!r}: choose one from /v1/reference/public_offices",
        "ru": "неизвестный офис {value!r}: выберите из /v1/reference/public_offices",
        "kk": "белгісіз кеңсе {value!r}: /v1/reference/public_offices тізімінен таңдаңыз",
    },
    "anonymous_consent": {
        "en": "an anonymous complaint cannot give consent: the centre does not know who you are, "
        "so it cannot act on your behalf",
        "ru": "по анонимному обращению нельзя дать согласие: центр не знает, кто вы, и не может "
        "действовать от вашего имени",
        "kk": "жасырын өтініш бойынша келісім беру мүмкін емес: орталық сіздің кім екеніңізді "
        "білмейді, сондықтан сіздің атыңыздан әрекет ете алмайды",
    },
    "withdrawn_consent": {
        "en": "the complaint has been withdrawn: there is nothing left to consent to",
        "ru": "обращение отозвано: давать согласие больше не на что",
        "kk": "өтініш кері қайтарылды: келісім беретін ештеңе қалмады",
    },
    "withdrawn_attachment": {
        "en": "the complaint has been withdrawn: no file can be added to it",
        "ru": "обращение отозвано: добавить к нему файл нельзя",
        "kk": "өтініш кері қайтарылды: оған файл қосу мүмкін емес",
    },
    "consent_answer_missing": {
        "en": "answer at least one of formal_action, documents_to_authorities, media",
        "ru": "ответьте хотя бы на один вопрос: formal_action, documents_to_authorities, media",
        "kk": "кемінде бір сұраққа жауап беріңіз: formal_action, documents_to_authorities, media",
    },
    "not_your_office": {
        "en": "not your office",
        "ru": "не ваш офис",
        "kk": "сіздің кеңсеңіз емес",
    },
}


def message(key: str, lang: str, **values: object) -> str:
    texts = MESSAGES[key]
    return texts.get(lang, texts[DEFAULT]).format(**values)
