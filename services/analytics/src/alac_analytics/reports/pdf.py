"""The statistical report as a press-ready PDF (fpdf2), in kk, ru or en.

A cover with the tenant and the period; the headline figures; offices side by side; then every
figure of the ALAC report's section 1 (seeds/000) for all offices combined and for each office:
each a table of translated labels, counts, percentages and a bar, titled with its n and period.
Labels wrap within their column; every page has its number and the scope in the footer, so a
page printed on its own still says what its figures are. Text is real text (embedded TrueType),
so it can be searched and copied, and tests read it back with pypdf.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

import fontpkg_pt_sans
from fpdf import FPDF

from alac_analytics.labels import office_label, value_label
from alac_analytics.reports.dates import long_date

# PT Sans (OFL, ParaType; from PyPI as fontpkg-pt-sans, as cases' letters use it) has every
# Kazakh letter and is small: loading and subsetting it is a fraction of DejaVu Sans' cost.
FONT_DIR = fontpkg_pt_sans.ROOT / "files"

TEXT: dict[str, dict[str, str]] = {
    "title": {
        "en": "Statistical report on complaints",
        "ru": "Статистический отчёт по обращениям",
        "kk": "Өтініштер бойынша статистикалық есеп",
    },
    "network_title": {
        "en": "Network statistical report",
        "ru": "Статистический отчёт сети",
        "kk": "Желінің статистикалық есебі",
    },
    "network": {"en": "All centres of the network", "ru": "Все центры сети", "kk": "Желінің барлық орталықтары"},
    "period": {"en": "Period received", "ru": "Период поступления", "kk": "Түскен кезеңі"},
    "offices": {"en": "Offices", "ru": "Офисы", "kk": "Кеңселер"},
    "tenants": {"en": "Centres", "ru": "Центры", "kk": "Орталықтар"},
    "all_offices": {"en": "All offices", "ru": "Все офисы", "kk": "Барлық кеңселер"},
    "all_tenants": {"en": "All centres", "ru": "Все центры", "kk": "Барлық орталықтар"},
    "combined": {"en": "Combined", "ru": "Итого", "kk": "Жиынтық"},
    "page": {"en": "Page {p} of {n}", "ru": "Стр. {p} из {n}", "kk": "{n} беттің {p}-беті"},
    "generated": {"en": "Generated", "ru": "Сформирован", "kk": "Жасалған күні"},
    "summary": {"en": "Headline figures", "ru": "Основные показатели", "kk": "Негізгі көрсеткіштер"},
    "total": {"en": "Complaints received", "ru": "Поступило обращений", "kk": "Түскен өтініштер"},
    "anonymous_share": {"en": "Anonymous", "ru": "Анонимные", "kk": "Жасырын"},
    "resolution": {"en": "Resolution rate", "ru": "Доля решённых", "kk": "Шешілген үлесі"},
    "rejection": {"en": "Rejection rate", "ru": "Доля отказов", "kk": "Бас тарту үлесі"},
    "closed": {"en": "closed cases", "ru": "закрытых дел", "kk": "жабылған іс"},
    "time_to_triage_hours": {
        "en": "Time to triage, hours (median / 90th percentile)",
        "ru": "Время до сортировки, часов (медиана / 90-й процентиль)",
        "kk": "Сұрыптауға дейінгі уақыт, сағат (медиана / 90-процентиль)",
    },
    "time_to_close_hours": {
        "en": "Time to close, hours (median / 90th percentile)",
        "ru": "Время до закрытия, часов (медиана / 90-й процентиль)",
        "kk": "Жабуға дейінгі уақыт, сағат (медиана / 90-процентиль)",
    },
    "live_note": {
        "en": "Times are computed only over complaints the platform received live: historical "
        "imports and complaints registered more than 72 hours after their received date "
        "({x} in this period) are left out.",
        "ru": "Время рассчитано только по обращениям, принятым платформой в момент поступления: "
        "исторический импорт и обращения, зарегистрированные более чем через 72 часа после "
        "даты поступления ({x} за период), не учитываются.",
        "kk": "Уақыт платформа түскен сәтінде қабылдаған өтініштер бойынша ғана есептелген: "
        "тарихи импорт пен түскен күнінен 72 сағаттан кейін тіркелген өтініштер (кезеңде {x}) "
        "есепке алынбайды.",
    },
    "offices_compared": {
        "en": "Offices side by side",
        "ru": "Сравнение офисов",
        "kk": "Кеңселерді салыстыру",
    },
    "tenants_compared": {
        "en": "Centres side by side",
        "ru": "Сравнение центров",
        "kk": "Орталықтарды салыстыру",
    },
    "monthly": {"en": "Complaints per month", "ru": "Обращения по месяцам", "kk": "Айлар бойынша өтініштер"},
    "value": {"en": "Category", "ru": "Категория", "kk": "Санат"},
    "count": {"en": "Number", "ru": "Число", "kk": "Саны"},
    "percent": {"en": "%", "ru": "%", "kk": "%"},
    "hidden": {"en": "hidden", "ru": "скрыто", "kk": "жасырылған"},
    "suppressed": {
        "en": "Counts from 1 to {t} are hidden (small-cell protection).",
        "ru": "Значения от 1 до {t} скрыты (защита малых групп).",
        "kk": "1-ден {t}-ге дейінгі мәндер жасырылған (шағын топтарды қорғау).",
    },
    "source": {
        "en": "Data: complaints received in the period (analytics read model).",
        "ru": "Данные: обращения, поступившие за период (аналитическая модель).",
        "kk": "Деректер: кезеңде түскен өтініштер (талдау моделі).",
    },
    "no_data": {"en": "No complaints", "ru": "Нет обращений", "kk": "Өтініштер жоқ"},
    # Figure titles, in the order of the ALAC report's section 1.
    "sex": {"en": "Sex", "ru": "Пол", "kk": "Жынысы"},
    "age_band": {"en": "Age", "ru": "Возраст", "kk": "Жасы"},
    "education": {"en": "Highest level of education", "ru": "Образование", "kk": "Білімі"},
    "residence": {"en": "Place of residence", "ru": "Место жительства", "kk": "Тұрғылықты жері"},
    "region": {"en": "Region", "ru": "Регион", "kk": "Өңір"},
    "heard_from": {
        "en": "How they heard about the centre",
        "ru": "Откуда узнали о центре",
        "kk": "Орталық туралы қайдан білді",
    },
    "channel": {"en": "Channel", "ru": "Канал обращения", "kk": "Өтініш арнасы"},
    "anonymous": {"en": "Anonymous complaints", "ru": "Анонимные обращения", "kk": "Жасырын өтініштер"},
    "complainant_type": {"en": "Complainant", "ru": "Заявитель", "kk": "Өтініш беруші"},
    "request_type": {"en": "Request type", "ru": "Тип обращения", "kk": "Өтініш түрі"},
    "corruption_related": {
        "en": "Related to corruption",
        "ru": "Связь с коррупцией",
        "kk": "Сыбайлас жемқорлыққа қатысы",
    },
    "non_corruption_reason": {
        "en": "Why not corruption-related",
        "ru": "Причины, не связанные с коррупцией",
        "kk": "Сыбайлас жемқорлыққа қатысы жоқ себептері",
    },
    "area": {"en": "Areas of complaints", "ru": "Сферы обращений", "kk": "Өтініштер салалары"},
    "sub_area": {"en": "Sub-areas", "ru": "Подсферы", "kk": "Кіші салалар"},
    "authority_level": {"en": "Level of authority", "ru": "Уровень власти", "kk": "Билік деңгейі"},
    "respondent_body_type": {
        "en": "Body complained about",
        "ru": "Орган, на который жалуются",
        "kk": "Шағым жасалған орган",
    },
    "outcome": {"en": "Outcomes of closed cases", "ru": "Итоги закрытых дел", "kk": "Жабылған істердің нәтижелері"},
    "status": {"en": "Status now", "ru": "Текущий статус", "kk": "Қазіргі мәртебесі"},
    "withdrawn": {"en": "Withdrawn", "ru": "Отозваны", "kk": "Кері қайтарылған"},
}  # fmt: skip

#: The figures of each section, in the order the ALAC report prints them.
FIGURES = (
    "sex",
    "age_band",
    "education",
    "residence",
    "region",
    "heard_from",
    "channel",
    "anonymous",
    "complainant_type",
    "request_type",
    "corruption_related",
    "non_corruption_reason",
    "area",
    "sub_area",
    "authority_level",
    "respondent_body_type",
    "outcome",
)
BLUE = (59, 110, 168)
GREY = (90, 90, 90)
LIGHT = (235, 239, 245)


def t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}"


class ReportPDF(FPDF):
    def __init__(self, report: dict[str, Any], lang: str, footer_line: str) -> None:
        super().__init__(format="A4")
        self.report, self.lang, self.footer_line = report, lang, footer_line
        self._footer_lines: list[str] | None = None
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=22)
        self.add_font("Sans", "", str(FONT_DIR / "PT_Sans-Web-Regular.ttf"))
        self.add_font("Sans", "B", str(FONT_DIR / "PT_Sans-Web-Bold.ttf"))

    def footer(self) -> None:
        if self.page_no() == 1:
            return  # the cover
        self.set_y(-16)
        self.set_font("Sans", "", 7)
        self.set_text_color(*GREY)
        if self._footer_lines is None:  # wrapped once: the line is the same on every page
            self._footer_lines = wrapped(self, 0, 3.5, self.footer_line, align="C")
        for line in self._footer_lines:
            self.cell(0, 3.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, t("page", self.lang).format(p=self.page_no(), n="{nb}"), align="C")
        self.set_text_color(0, 0, 0)


def _period(report: dict[str, Any], lang: str) -> str:
    scope = report["scope"]
    start, end = date.fromisoformat(scope["from"]), date.fromisoformat(scope["to"])
    return f"{long_date(start, lang)} – {long_date(end, lang)}"


def _tenant_name(report: dict[str, Any], tenant: str) -> str:
    """The centre's name in the report's language, as analytics learnt it from the tenant
    registry's events (reports.views puts it in the scope); else its code."""
    return report["scope"].get("tenant_names", {}).get(tenant) or tenant


def _section_name(report: dict[str, Any], key: str, name: str, lang: str) -> str:
    return office_label(name, lang) if key == "offices" else _tenant_name(report, name)


def _scope_names(report: dict[str, Any], key: str, lang: str) -> str:
    chosen = report["scope"].get(key, "all")
    if chosen in ("all", None):
        return t(f"all_{key}", lang)
    return ", ".join(_section_name(report, key, o, lang) for o in chosen)


def render(
    report: dict[str, Any],
    lang: str,
    *,
    generated: date | None = None,
    tenant_names: Mapping[str, str] | None = None,
) -> bytes:
    """`tenant_names`: tenant code -> the centre's name in `lang` (cover, network sections)."""
    report = {**report, "scope": {**report["scope"], "tenant_names": dict(tenant_names or {})}}
    key = "tenants" if "tenants" in report else "offices"
    network = key == "tenants"
    period = _period(report, lang)
    tenant = report["scope"].get("tenant") or ""
    who = t("network", lang) if network else _tenant_name(report, tenant)
    footer = f"{who} · {_scope_names(report, key, lang)} · {t('period', lang)}: {period}"
    pdf = ReportPDF(report, lang, footer)
    pdf.set_title(t("network_title" if network else "title", lang))
    pdf.set_creator("ALAC analytics")
    _cover(pdf, report, key, who, period, generated or date.today())
    pdf.add_page()
    _headline(pdf, report, key, period)
    sections = report.get(key) or {}
    if len(sections) == 1:  # one office: its section is the combined one, printed once
        _heading(pdf, _section_name(report, key, next(iter(sections)), lang), size=14)
        _figures(pdf, report, period)
        return bytes(pdf.output())
    _heading(pdf, f"{t('combined', lang)}: {_scope_names(report, key, lang)}", size=14)
    _figures(pdf, report, period)
    for name, body in sections.items():
        pdf.add_page()
        _heading(pdf, _section_name(report, key, name, lang), size=14)
        _figures(pdf, body, period)
    return bytes(pdf.output())


def _heading(pdf: ReportPDF, text: str, *, size: int = 12) -> None:
    pdf.set_font("Sans", "B", size)
    if pdf.get_string_width(text) <= pdf.epw - 2 * pdf.c_margin:
        pdf.cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)


def _cover(
    pdf: ReportPDF, report: dict[str, Any], key: str, who: str, period: str, generated: date
) -> None:
    lang = pdf.lang
    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font("Sans", "B", 24)
    pdf.multi_cell(0, 11, who, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(6)
    pdf.set_font("Sans", "", 16)
    title = t("network_title" if key == "tenants" else "title", lang)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(10)
    pdf.set_font("Sans", "", 12)
    lines = [
        f"{t('period', lang)}: {period}",
        f"{t(key, lang)}: {_scope_names(report, key, lang)}",
        f"{t('total', lang)}: {_fmt(report['total'])}",
        f"{t('generated', lang)}: {long_date(generated, lang)}",
    ]
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(8)
    pdf.set_font("Sans", "", 9)
    pdf.set_text_color(*GREY)
    notes = [t("source", lang)]
    if "suppression" in report["scope"]:
        notes.append(
            t("suppressed", lang).format(t=report["scope"]["suppression"]["threshold"] - 1)
        )
    for note in notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)


def _headline(pdf: ReportPDF, report: dict[str, Any], key: str, period: str) -> None:
    lang = pdf.lang
    _heading(pdf, t("summary", lang), size=14)
    _subline(pdf, f"{_scope_names(report, key, lang)} · {period}")
    share, outcomes = report["anonymous_share"], report["outcomes"]
    rows = [
        (t("total", lang), _fmt(report["total"]), f"n = {_fmt(report['total'])}"),
        (t("anonymous_share", lang), f"{_fmt(share['count'])} ({_pct(share['percent'])}%)",
         f"n = {_fmt(share['n'])}"),
        (t("resolution", lang), _percent(outcomes["resolution_rate"]),
         f"n = {_fmt(outcomes['n'])} {t('closed', lang)}"),
        (t("rejection", lang), _percent(outcomes["rejection_rate"]),
         f"n = {_fmt(outcomes['n'])} {t('closed', lang)}"),
    ]  # fmt: skip
    for name in ("time_to_triage_hours", "time_to_close_hours"):
        block = report[name]
        rows.append(
            (t(name, lang), f"{_fmt(block['median'])} / {_fmt(block['p90'])}", f"n = {_fmt(block['n'])}")
        )  # fmt: skip
    pdf.set_font("Sans", "", 10)
    for label, figure, n in rows:
        _row3(pdf, label, figure, n)
    pdf.ln(2)
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*GREY)
    note = t("live_note", lang).format(x=_fmt(report["time_to_triage_hours"].get("not_live")))
    pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    months = {
        "n": report["total"],
        "values": [{"value": m["month"], "count": m["count"],
                    "percent": _share(m["count"], report["total"])} for m in report["monthly"]],
    }  # fmt: skip
    _figure(pdf, t("monthly", lang), months, period, dimension=None)
    sections = report.get(key) or {}
    if len(sections) > 1:
        compared = {
            "n": report["total"],
            "values": [
                {"value": _section_name(report, key, name, lang), "count": body["total"],
                 "percent": _share(body["total"], report["total"])}
                for name, body in sections.items()
            ],
        }  # fmt: skip
        _figure(pdf, t(f"{key}_compared", lang), compared, period, dimension=None)


def _share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * part / whole, 1) if part is not None and whole else None


def _row3(pdf: ReportPDF, label: str, figure: str, n: str) -> None:
    width = pdf.epw
    lines = wrapped(pdf, width * 0.55, 5.5, label)
    height = 5.5 * len(lines)
    if pdf.will_page_break(height):
        pdf.add_page()
    y = pdf.get_y()
    pdf.multi_cell(width * 0.55, 5.5, label, new_x="RIGHT", new_y="TOP", align="L")
    pdf.set_font("Sans", "B", 10)
    pdf.cell(width * 0.2, 5.5, figure, align="R")
    pdf.set_font("Sans", "", 9)
    pdf.cell(width * 0.25, 5.5, n, align="R")
    pdf.set_font("Sans", "", 10)
    pdf.set_xy(pdf.l_margin, y + height + 0.8)


def _subline(pdf: ReportPDF, text: str) -> None:
    pdf.set_font("Sans", "", 8)
    pdf.set_text_color(*GREY)
    if pdf.get_string_width(text) <= pdf.epw - 2 * pdf.c_margin:
        pdf.cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)


def _figures(pdf: ReportPDF, body: dict[str, Any], period: str) -> None:
    if not body["total"]:
        _subline(pdf, f"{t('no_data', pdf.lang)} · {period}")
        return
    for name in FIGURES:
        block = body["outcomes"] if name == "outcome" else body["dimensions"].get(name)
        if block is None or not block["values"]:
            continue
        _figure(pdf, t(name, pdf.lang), block, period, dimension=name)
    for name in ("time_to_triage_hours", "time_to_close_hours"):
        block = body[name]
        _heading(pdf, t(name, pdf.lang), size=10)
        _subline(pdf, f"n = {_fmt(block['n'])} · {period}")
        pdf.set_font("Sans", "", 10)
        pdf.cell(
            0, 5, f"{_fmt(block['median'])} / {_fmt(block['p90'])}", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)


LABEL_W, COUNT_W, PCT_W = 0.45, 0.12, 0.11  # of the text width; the bar takes the rest
LINE_H = 4.6


def _figure(
    pdf: ReportPDF, title: str, block: dict[str, Any], period: str, *, dimension: str | None
) -> None:
    """One figure: its title, `n = … · period`, then a row per value with a bar."""
    lang = pdf.lang
    values = block["values"]
    pdf.set_font("Sans", "", 9)
    first = _row_height(pdf, values[0], dimension) if values else 0
    if pdf.will_page_break(14 + first):  # keep the title with its first row
        pdf.add_page()
    _heading(pdf, title, size=11)
    _subline(pdf, f"n = {_fmt(block['n'])} · {period}")
    width = pdf.epw
    top = max((v["count"] or 0 for v in values), default=0)
    pdf.set_font("Sans", "B", 8)
    pdf.set_fill_color(*LIGHT)
    pdf.cell(width * LABEL_W, 5, t("value", lang), fill=True)
    pdf.cell(width * COUNT_W, 5, t("count", lang), align="R", fill=True)
    pdf.cell(width * PCT_W, 5, t("percent", lang), align="R", fill=True)
    pdf.cell(0, 5, "", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 9)
    for item in values:
        lines = _lines(pdf, width * LABEL_W, _label(item["value"], dimension, lang))
        height = LINE_H * len(lines)
        if pdf.will_page_break(height):
            pdf.add_page()
        y = pdf.get_y()
        _draw_lines(pdf, width * LABEL_W, LINE_H, lines)
        count = t("hidden", lang) if item.get("suppressed") else _fmt(item["count"])
        pdf.cell(width * COUNT_W, LINE_H, count, align="R")
        pdf.cell(width * PCT_W, LINE_H, _pct(item["percent"]), align="R")
        bar_x = pdf.l_margin + width * (LABEL_W + COUNT_W + PCT_W) + 3
        bar_w = width * (1 - LABEL_W - COUNT_W - PCT_W) - 3
        if item["count"] and top:
            pdf.set_fill_color(*BLUE)
            pdf.rect(bar_x, y + 0.8, bar_w * item["count"] / top, LINE_H - 1.6, style="F")
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.ln(5)


def _lines(pdf: ReportPDF, width: float, text: str) -> list[str]:
    """`text` broken into lines that fit `width` in the current font. Measuring the whole
    string first spares fpdf2's line breaker (character by character, the report's main cost)
    for the many labels that fit on one line."""
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    return wrapped(pdf, width, LINE_H, text)


def wrapped(pdf: FPDF, width: float, height: float, text: str, *, align: str = "L") -> list[str]:
    """`text` broken into the lines multi_cell would print (nothing printed)."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output="LINES", align=align)
    return cast(list[str], lines)  # output="LINES" answers the lines alone


def _draw_lines(pdf: ReportPDF, width: float, height: float, lines: list[str]) -> None:
    """Draw lines as cells, one under the other, and leave the cursor right of the first."""
    x, y = pdf.get_x(), pdf.get_y()
    for i, line in enumerate(lines):
        pdf.set_xy(x, y + i * height)
        pdf.cell(width, height, line)
    pdf.set_xy(x + width, y)


def _label(code: str, dimension: str | None, lang: str) -> str:
    return code if dimension is None else value_label(dimension, code, lang)


def _row_height(pdf: ReportPDF, item: dict[str, Any], dimension: str | None) -> float:
    label = _label(item["value"], dimension, pdf.lang)
    return LINE_H * max(1, len(_lines(pdf, pdf.epw * LABEL_W, label)))
