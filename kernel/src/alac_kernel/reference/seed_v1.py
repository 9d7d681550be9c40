"""Reference data as first seeded (intake's migration 3a606bd6002e imports it through
alac_intake.reference.seed_v1). FROZEN: changing it would change history. Later changes (a
renamed region, a new sub-area) go in a new intake migration that retires rows (valid_to) and
adds new ones, and in alac_kernel.reference.ADDED.

Each row: (code, en, ru, kk) or (code, en, ru, kk, parent) or with valid_from/valid_to.
"""

from __future__ import annotations

from datetime import date
from typing import Any

A = "area"
LISTS: dict[str, list[tuple[Any, ...]]] = {
    "channels": [
        ("hotline", "Hotline", "Горячая линия", "Сенім телефоны"),
        ("walk_in", "Walk-in", "Личный приём", "Жеке қабылдау"),
        ("email", "E-mail", "Электронная почта", "Электрондық пошта"),
        ("web_form", "Website form", "Форма на сайте", "Сайттағы форма"),
        ("mobile_clinic", "Mobile clinic", "Мобильная приёмная", "Жылжымалы қабылдау"),
        ("letter", "Letter", "Письмо", "Хат"),
        ("partner_api", "Partner system", "Система партнёра", "Серіктес жүйесі"),
    ],
    "request_types": [
        ("information_request", "Information request", "Запрос информации", "Ақпарат сұрау"),
        ("case", "Case", "Дело", "Іс"),
    ],
    "areas": [
        ("education", "Education", "Образование", "Білім беру"),
        ("judicial_system", "Judicial system", "Судебная система", "Сот жүйесі"),
        ("property_rights", "Property rights", "Права собственности", "Меншік құқығы"),
        ("housing", "Housing and condominiums", "Жильё и КСК", "Тұрғын үй және ПИК"),
        ("healthcare", "Healthcare", "Здравоохранение", "Денсаулық сақтау"),
        ("police", "Police", "Полиция", "Полиция"),
        ("labour", "Labour and private sector", "Труд и частный сектор", "Еңбек және жеке сектор"),
        ("banking", "Banking and consumer credit", "Банки и кредиты", "Банктер және несиелер"),
        ("detention", "Detention conditions", "Условия содержания", "Ұстау жағдайлары"),
        (
            "administrative_detention",
            "Administrative detention",
            "Административное задержание",
            "Әкімшілік ұстау",
        ),
        (
            "enforcement",
            "Enforcement of court decisions",
            "Исполнение судебных решений",
            "Сот шешімдерін орындау",
        ),
        ("fair_trial", "Fair trial", "Справедливый суд", "Әділ сот"),
        ("media", "Media and journalists", "СМИ и журналисты", "БАҚ және журналистер"),
        ("human_rights_defenders", "Human rights defenders", "Правозащитники", "Құқық қорғаушылар"),
        (
            "business_human_rights",
            "Business and human rights",
            "Бизнес и права человека",
            "Бизнес және адам құқықтары",
        ),
        (
            "freedoms",
            "Freedoms of assembly, association, religion, information",
            "Свободы собраний, объединений, вероисповедания, информации",
            "Жиналыс, бірлестік, діни сенім, ақпарат бостандықтары",
        ),
        ("vulnerable_groups", "Vulnerable groups", "Уязвимые группы", "Әлеуметтік осал топтар"),
        (
            "not_corruption_related",
            "Not related to corruption / legal information",
            "Не связано с коррупцией / правовая информация",
            "Сыбайлас жемқорлыққа қатысы жоқ / құқықтық ақпарат",
        ),
    ],
    "sub_areas": [
        (
            "school_payments",
            "Illegal school payments",
            "Незаконные поборы в школах",
            "Мектептегі заңсыз алымдар",
            "education",
        ),
        ("exam_bribes", "Bribes for exams", "Взятки за экзамены", "Емтихан үшін пара", "education"),
        ("diploma_selling", "Diploma selling", "Продажа дипломов", "Диплом сату", "education"),
        (
            "paid_education_contracts",
            "Paid-education contracts",
            "Договоры платного обучения",
            "Ақылы оқу шарттары",
            "education",
        ),
        (
            "non_execution",
            "Non-execution of court decisions",
            "Неисполнение судебных решений",
            "Сот шешімдерінің орындалмауы",
            "judicial_system",
        ),
        (
            "unjust_decisions",
            "Unjust decisions",
            "Несправедливые решения",
            "Әділетсіз шешімдер",
            "judicial_system",
        ),
        (
            "land_property_disputes",
            "Land and property disputes",
            "Земельные и имущественные споры",
            "Жер және мүлік даулары",
            "judicial_system",
        ),
        (
            "procedural_violations",
            "Procedural violations by judges",
            "Процессуальные нарушения судей",
            "Судьялардың іс жүргізу бұзушылықтары",
            "judicial_system",
        ),
        (
            "share_construction",
            "Share construction",
            "Долевое строительство",
            "Үлестік құрылыс",
            "property_rights",
        ),
        ("mortgages", "Mortgages", "Ипотека", "Ипотека", "property_rights"),
        ("demolition", "Demolition", "Снос жилья", "Тұрғын үйді бұзу", "property_rights"),
        (
            "land_withdrawal",
            "Land withdrawal",
            "Изъятие земли",
            "Жерді алып қою",
            "property_rights",
        ),
        (
            "statements_under_dictation",
            "Statements under dictation",
            "Показания под диктовку",
            "Айтуымен жазылған түсініктеме",
            "police",
        ),
        (
            "refusal_to_open_case",
            "Refusal to open a case",
            "Отказ в возбуждении дела",
            "Іс қозғаудан бас тарту",
            "police",
        ),
        (
            "unlawful_detention",
            "Unlawful detention",
            "Незаконное задержание",
            "Заңсыз ұстау",
            "police",
        ),
        (
            "temporary_detention_facility",
            "Temporary detention facility (IVS)",
            "ИВС",
            "Уақытша ұстау изоляторы",
            "detention",
        ),
        (
            "pre_trial_detention",
            "Pre-trial detention centre (SIZO)",
            "СИЗО",
            "Тергеу изоляторы",
            "detention",
        ),
        ("colonies", "Colonies", "Колонии", "Колониялар", "detention"),
        (
            "medical_care_in_detention",
            "Medical care in detention",
            "Медпомощь в местах заключения",
            "Бас бостандығынан айыру орындарындағы медициналық көмек",
            "detention",
        ),
    ],
    "authority_levels": [
        ("local", "Local", "Местный", "Жергілікті"),
        ("regional", "Regional", "Региональный", "Өңірлік"),
        ("central", "Central", "Центральный", "Орталық"),
        ("private_organisation", "Private organisation", "Частная организация", "Жеке ұйым"),
        ("undefined", "Undefined", "Не определён", "Анықталмаған"),
    ],
    "respondent_body_types": [
        ("akimat", "Akimat", "Акимат", "Әкімдік"),
        ("court", "Court", "Суд", "Сот"),
        ("police", "Police", "Полиция", "Полиция"),
        ("prosecutor", "Prosecutor's office", "Прокуратура", "Прокуратура"),
        ("tax_committee", "Tax committee", "Налоговый комитет", "Салық комитеті"),
        ("university", "University", "Университет", "Университет"),
        ("school", "School", "Школа", "Мектеп"),
        ("hospital", "Hospital", "Больница", "Аурухана"),
        ("condominium", "Condominium (KSK)", "КСК", "ПИК"),
        (
            "construction_company",
            "Construction company",
            "Строительная компания",
            "Құрылыс компаниясы",
        ),
        ("bank", "Bank", "Банк", "Банк"),
        ("employer", "Employer", "Работодатель", "Жұмыс беруші"),
        ("bailiff", "Bailiff", "Судебный исполнитель", "Сот орындаушысы"),
        ("other", "Other", "Другое", "Басқа"),
    ],
    "corruption_related": [
        ("yes", "Yes", "Да", "Иә"),
        ("no", "No", "Нет", "Жоқ"),
        ("indirect", "Indirect evidence only", "Только косвенные признаки", "Тек жанама белгілер"),
    ],
    "non_corruption_reasons": [
        (
            "lack_of_information",
            "Lack of information or legal illiteracy",
            "Недостаток информации, правовая неграмотность",
            "Ақпарат жетіспеушілігі, құқықтық сауатсыздық",
        ),
        ("legal_nihilism", "Legal nihilism", "Правовой нигилизм", "Құқықтық нигилизм"),
        (
            "unqualified_legal_help",
            "Unqualified prior legal help",
            "Неквалифицированная юридическая помощь",
            "Білікті емес заң көмегі",
        ),
        (
            "negligence_by_body",
            "Negligence or omission by a body",
            "Халатность или бездействие органа",
            "Органның немқұрайлылығы немесе әрекетсіздігі",
        ),
    ],
    "heard_from": [
        (
            "friends_relatives",
            "Friends or relatives",
            "Друзья или родственники",
            "Достар немесе туыстар",
        ),
        ("leaflet", "Leaflet", "Листовка", "Парақша"),
        ("tv", "TV", "Телевидение", "Теледидар"),
        ("campaign", "Campaign", "Кампания", "Науқан"),
        ("mobile_clinic", "Mobile clinic", "Мобильная приёмная", "Жылжымалы қабылдау"),
        ("internet", "Internet", "Интернет", "Интернет"),
        ("other", "Other", "Другое", "Басқа"),
    ],
    "prior_legal_help": [
        ("none", "None", "Не получал(а)", "Алмаған"),
        ("lawyer", "Private lawyer", "Частный юрист", "Жеке заңгер"),
        (
            "state_legal_aid",
            "State legal aid",
            "Гарантированная государством помощь",
            "Мемлекет кепілдік берген көмек",
        ),
        ("ngo", "NGO", "НПО", "ҮЕҰ"),
    ],
    "procedural_stages": [
        ("none", "No proceedings", "Нет производства", "Іс жүргізу жоқ"),
        ("pre_trial", "Pre-trial", "Досудебная стадия", "Сотқа дейінгі саты"),
        ("first_instance", "First instance", "Первая инстанция", "Бірінші саты"),
        ("appeal", "Appeal", "Апелляция", "Апелляция"),
        ("cassation", "Cassation", "Кассация", "Кассация"),
        ("enforcement", "Enforcement", "Исполнение", "Орындау"),
    ],
    "documents": [
        ("identity_document", "Identity document", "Удостоверение личности", "Жеке куәлік"),
        ("court_decision", "Court decision", "Решение суда", "Сот шешімі"),
        (
            "authority_reply",
            "Reply of an authority",
            "Ответ госоргана",
            "Мемлекеттік органның жауабы",
        ),
        ("contract", "Contract", "Договор", "Шарт"),
        (
            "receipt_or_payment_proof",
            "Receipt or proof of payment",
            "Квитанция или платёжный документ",
            "Түбіртек немесе төлем құжаты",
        ),
        ("medical_record", "Medical record", "Медицинский документ", "Медициналық құжат"),
        ("other", "Other", "Другое", "Басқа"),
    ],
    "education_levels": [
        ("none", "None", "Нет", "Жоқ"),
        ("primary", "Primary", "Начальное", "Бастауыш"),
        ("secondary", "Secondary", "Среднее", "Орта"),
        ("vocational", "Vocational", "Среднее специальное", "Арнаулы орта"),
        ("higher", "Higher", "Высшее", "Жоғары"),
        ("not_stated", "Not stated", "Не указано", "Көрсетілмеген"),
    ],
    "residence_types": [
        ("urban", "Urban", "Город", "Қала"),
        ("suburban", "Suburban", "Пригород", "Қала маңы"),
        ("rural", "Rural", "Село", "Ауыл"),
        ("not_stated", "Not stated", "Не указано", "Көрсетілмеген"),
    ],
    "complainant_types": [
        ("individual", "Individual", "Физическое лицо", "Жеке тұлға"),
        ("organisation", "Organisation", "Организация", "Ұйым"),
        ("initiative_group", "Initiative group", "Инициативная группа", "Бастамашыл топ"),
    ],
    "sexes": [
        ("female", "Female", "Женский", "Әйел"),
        ("male", "Male", "Мужской", "Ер"),
        ("not_stated", "Not stated", "Не указано", "Көрсетілмеген"),
    ],
    "languages": [
        ("kk", "Kazakh", "Казахский", "Қазақ тілі"),
        ("ru", "Russian", "Русский", "Орыс тілі"),
        ("en", "English", "Английский", "Ағылшын тілі"),
    ],
    "outcomes": [
        ("resolved", "Resolved", "Решено", "Шешілді"),
        ("advice_given", "Advice given", "Дана консультация", "Кеңес берілді"),
        ("rejected", "Rejected", "Отклонено", "Қабылданбады"),
        ("outside_mandate", "Outside mandate", "Вне мандата", "Мандаттан тыс"),
        (
            "client_declined",
            "Client declined formal action",
            "Клиент отказался от действий",
            "Клиент әрекеттен бас тартты",
        ),
        (
            "options_exhausted",
            "Procedural options exhausted",
            "Процессуальные возможности исчерпаны",
            "Іс жүргізу мүмкіндіктері таусылды",
        ),
        ("referred", "Referred", "Перенаправлено", "Жолданды"),
        ("undefined", "Undefined", "Не определено", "Анықталмаған"),
    ],
    "age_bands": [
        ("age_under_18", "Under 18", "До 18", "18-ге дейін"),
        ("age_18_25", "18–25", "18–25", "18–25"),
        ("age_26_35", "26–35", "26–35", "26–35"),
        ("age_36_45", "36–45", "36–45", "36–45"),
        ("age_46_60", "46–60", "46–60", "46–60"),
        ("age_over_60", "Over 60", "Старше 60", "60-тан асқан"),
        ("not_stated", "Not stated", "Не указано", "Көрсетілмеген"),
    ],
}

# Regions: valid_from / valid_to model renames and splits (2018: South Kazakhstan became
# Turkistan region with Shymkent a city of republican status; 2022: Abai, Jetisu and Ulytau
# split off East Kazakhstan, Almaty and Karaganda regions).
R2018, R2022 = "2018-06-19", "2022-06-08"
REGIONS: list[tuple[Any, ...]] = [
    ("astana_city", "Astana", "Астана", "Астана", None, None),
    ("almaty_city", "Almaty", "Алматы", "Алматы", None, None),
    ("shymkent_city", "Shymkent", "Шымкент", "Шымкент", R2018, None),
    ("abai", "Abai Region", "Абайская область", "Абай облысы", R2022, None),
    ("akmola", "Akmola Region", "Акмолинская область", "Ақмола облысы", None, None),
    ("aktobe", "Aktobe Region", "Актюбинская область", "Ақтөбе облысы", None, None),
    ("almaty_region", "Almaty Region", "Алматинская область", "Алматы облысы", None, None),
    ("atyrau", "Atyrau Region", "Атырауская область", "Атырау облысы", None, None),
    (
        "east_kazakhstan",
        "East Kazakhstan Region",
        "Восточно-Казахстанская область",
        "Шығыс Қазақстан облысы",
        None,
        None,
    ),
    ("jambyl", "Jambyl Region", "Жамбылская область", "Жамбыл облысы", None, None),
    ("jetisu", "Jetisu Region", "Область Жетісу", "Жетісу облысы", R2022, None),
    ("karaganda", "Karaganda Region", "Карагандинская область", "Қарағанды облысы", None, None),
    ("kostanay", "Kostanay Region", "Костанайская область", "Қостанай облысы", None, None),
    ("kyzylorda", "Kyzylorda Region", "Кызылординская область", "Қызылорда облысы", None, None),
    ("mangystau", "Mangystau Region", "Мангистауская область", "Маңғыстау облысы", None, None),
    (
        "north_kazakhstan",
        "North Kazakhstan Region",
        "Северо-Казахстанская область",
        "Солтүстік Қазақстан облысы",
        None,
        None,
    ),
    ("pavlodar", "Pavlodar Region", "Павлодарская область", "Павлодар облысы", None, None),
    ("turkistan", "Turkistan Region", "Туркестанская область", "Түркістан облысы", R2018, None),
    ("ulytau", "Ulytau Region", "Область Улытау", "Ұлытау облысы", R2022, None),
    (
        "west_kazakhstan",
        "West Kazakhstan Region",
        "Западно-Казахстанская область",
        "Батыс Қазақстан облысы",
        None,
        None,
    ),
    (
        "south_kazakhstan",
        "South Kazakhstan Region",
        "Южно-Казахстанская область",
        "Оңтүстік Қазақстан облысы",
        None,
        R2018,
    ),
]
# Cities with their region (parent); the three of republican status are their own region.
CITIES: list[tuple[Any, ...]] = [
    ("almaty", "Almaty", "Алматы", "Алматы", "almaty_city"),
    ("astana", "Astana", "Астана", "Астана", "astana_city"),
    ("shymkent", "Shymkent", "Шымкент", "Шымкент", "shymkent_city"),
    ("aktau", "Aktau", "Актау", "Ақтау", "mangystau"),
    ("atyrau", "Atyrau", "Атырау", "Атырау", "atyrau"),
    ("aktobe", "Aktobe", "Актобе", "Ақтөбе", "aktobe"),
    ("pavlodar", "Pavlodar", "Павлодар", "Павлодар", "pavlodar"),
    ("ust_kamenogorsk", "Ust-Kamenogorsk", "Усть-Каменогорск", "Өскемен", "east_kazakhstan"),
    ("uralsk", "Uralsk", "Уральск", "Орал", "west_kazakhstan"),
    ("petropavlovsk", "Petropavlovsk", "Петропавловск", "Петропавл", "north_kazakhstan"),
    ("semey", "Semey", "Семей", "Семей", "abai"),
    ("taldykorgan", "Taldykorgan", "Талдыкорган", "Талдықорған", "jetisu"),
    ("zhezkazgan", "Zhezkazgan", "Жезказган", "Жезқазған", "ulytau"),
    ("karaganda", "Karaganda", "Караганда", "Қарағанды", "karaganda"),
    ("kostanay", "Kostanay", "Костанай", "Қостанай", "kostanay"),
    ("kyzylorda", "Kyzylorda", "Кызылорда", "Қызылорда", "kyzylorda"),
    ("taraz", "Taraz", "Тараз", "Тараз", "jambyl"),
    ("turkistan", "Turkistan", "Туркестан", "Түркістан", "turkistan"),
    ("kokshetau", "Kokshetau", "Кокшетау", "Көкшетау", "akmola"),
    ("konaev", "Konaev", "Конаев", "Қонаев", "almaty_region"),
]
# Offices that accept public web submissions: (tenant, office, en, ru, kk).
PUBLIC_OFFICES: list[tuple[Any, ...]] = [
    (
        "tk",
        "almaty",
        "Almaty legal advice centre",
        "Центр правовой помощи, Алматы",
        "Құқықтық көмек орталығы, Алматы",
    ),
    (
        "tk",
        "astana",
        "Astana legal advice centre",
        "Центр правовой помощи, Астана",
        "Құқықтық көмек орталығы, Астана",
    ),
    (
        "ndi",
        "shymkent",
        "Shymkent legal advice centre",
        "Центр правовой помощи, Шымкент",
        "Құқықтық көмек орталығы, Шымкент",
    ),
]


def rows() -> list[dict[str, Any]]:
    """Every seed row as a dict for the reference_values table."""
    out: list[dict[str, Any]] = []

    def add(
        list_name: str,
        code: str,
        en: str,
        ru: str,
        kk: str,
        parent: str | None = None,
        valid_from: str | None = None,
        valid_to: str | None = None,
        tenant: str | None = None,
    ) -> None:
        out.append(
            {
                "list_name": list_name,
                "code": code,
                "parent": parent,
                "tenant_id": tenant,
                "label_en": en,
                "label_ru": ru,
                "label_kk": kk,
                "valid_from": date.fromisoformat(valid_from) if valid_from else None,
                "valid_to": date.fromisoformat(valid_to) if valid_to else None,
                "version": 1,
            }
        )

    for list_name, items in LISTS.items():
        for item in items:
            add(list_name, *item)
    for code, en, ru, kk, start, end in REGIONS:
        add("regions", code, en, ru, kk, None, start, end)
    for item in CITIES:
        add("cities", *item)
    for tenant, office, en, ru, kk in PUBLIC_OFFICES:
        add("public_offices", office, en, ru, kk, parent=tenant)
    return out
