"""The statistical report as a PDF with charts (matplotlib, Agg backend), in kk, ru or en.

Every page repeats the scope (offices, period, data source) and every chart states its n,
so a page printed on its own still says what its figures are.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

# DejaVu Sans ships with matplotlib and covers Cyrillic including the Kazakh letters.
plt.rcParams["font.family"] = "DejaVu Sans"
plt.rcParams["pdf.fonttype"] = 42  # embedded TrueType: the text stays searchable

LANGUAGES = ("kk", "ru", "en")
TEXT = {
    "title": {
        "en": "ALAC statistical report",
        "ru": "Статистический отчёт ЦПКП",
        "kk": "ҚКОО статистикалық есебі",
    },
    "scope": {"en": "Scope", "ru": "Охват", "kk": "Қамту"},
    "period": {"en": "Period received", "ru": "Период поступления", "kk": "Түскен кезеңі"},
    "offices": {"en": "Offices", "ru": "Офисы", "kk": "Кеңселер"},
    "all": {"en": "all", "ru": "все", "kk": "барлығы"},
    "total": {"en": "Complaints", "ru": "Обращений", "kk": "Өтініштер"},
    "anonymous": {"en": "Anonymous", "ru": "Анонимные", "kk": "Жасырын"},
    "resolution": {"en": "Resolution rate", "ru": "Доля решённых", "kk": "Шешілген үлесі"},
    "rejection": {"en": "Rejection rate", "ru": "Доля отказов", "kk": "Бас тарту үлесі"},
    "triage": {
        "en": "Time to triage, h (median / p90)",
        "ru": "Время до сортировки, ч (медиана / p90)",
        "kk": "Сұрыптауға дейінгі уақыт, сағ (медиана / p90)",
    },
    "close": {
        "en": "Time to close, h (median / p90)",
        "ru": "Время до закрытия, ч (медиана / p90)",
        "kk": "Жабуға дейінгі уақыт, сағ (медиана / p90)",
    },
    "monthly": {
        "en": "Complaints per month",
        "ru": "Обращения по месяцам",
        "kk": "Айлар бойынша өтініштер",
    },
    "area": {"en": "Areas", "ru": "Сферы", "kk": "Салалар"},
    "channel": {"en": "Channels", "ru": "Каналы", "kk": "Арналар"},
    "authority_level": {"en": "Level of authority", "ru": "Уровень власти", "kk": "Билік деңгейі"},
    "sex": {"en": "Sex", "ru": "Пол", "kk": "Жынысы"},
    "age_band": {"en": "Age", "ru": "Возраст", "kk": "Жасы"},
    "request_type": {"en": "Request type", "ru": "Тип обращения", "kk": "Өтініш түрі"},
    "offices_compared": {
        "en": "Offices side by side",
        "ru": "Сравнение офисов",
        "kk": "Кеңселерді салыстыру",
    },
    "suppressed": {
        "en": "Counts below {t} are hidden",
        "ru": "Значения меньше {t} скрыты",
        "kk": "{t}-ден аз мәндер жасырылған",
    },
    "source": {
        "en": "Data: complaints received in the period (analytics read model)",
        "ru": "Данные: обращения, поступившие за период (аналитическая модель)",
        "kk": "Деректер: кезеңде түскен өтініштер (талдау моделі)",
    },
}
CHARTS = ("area", "channel", "authority_level", "sex", "age_band", "request_type")


def t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def _scope_line(report: dict[str, Any], lang: str) -> str:
    scope = report["scope"]
    offices = scope.get("offices", "all")
    offices = t("all", lang) if offices == "all" else ", ".join(offices)
    line = f"{t('offices', lang)}: {offices} · {t('period', lang)}: {scope['from']} – {scope['to']}"
    if "suppression" in scope:
        line += " · " + t("suppressed", lang).format(t=scope["suppression"]["threshold"])
    return line


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


def _footer(fig, report: dict[str, Any], lang: str) -> None:  # type: ignore[no-untyped-def]
    fig.text(0.5, 0.02, f"{_scope_line(report, lang)}\n{t('source', lang)}", ha="center",
             fontsize=7, color="#444444")  # fmt: skip


def _bar(ax, block: dict[str, Any], title: str) -> None:  # type: ignore[no-untyped-def]
    items = [v for v in block["values"] if v["count"] is not None][:10]
    labels = [v["value"] for v in items][::-1]
    counts = [v["count"] for v in items][::-1]
    ax.barh(labels, counts, color="#3b6ea8")
    for y, item in enumerate(items[::-1]):
        ax.text(item["count"], y, f" {item['count']} ({_fmt(item['percent'])}%)",
                va="center", fontsize=7)  # fmt: skip
    ax.set_title(f"{title} (n = {_fmt(block['n'])})", fontsize=10)
    ax.tick_params(labelsize=7)


def render(report: dict[str, Any], lang: str) -> bytes:
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": t("title", lang), "Creator": "ALAC analytics"}) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))  # A4
        fig.text(0.08, 0.93, t("title", lang), fontsize=18, weight="bold")
        fig.text(0.08, 0.89, _scope_line(report, lang), fontsize=9)
        lines = [
            f"{t('total', lang)}: {_fmt(report['total'])}",
            f"{t('anonymous', lang)}: {_fmt(report['anonymous_share']['count'])} "
            f"({_fmt(report['anonymous_share']['percent'])}%)",
            f"{t('resolution', lang)}: {_fmt(report['outcomes']['resolution_rate'])}% · "
            f"{t('rejection', lang)}: {_fmt(report['outcomes']['rejection_rate'])}% "
            f"(n = {_fmt(report['outcomes']['n'])})",
            f"{t('triage', lang)}: {_fmt(report['time_to_triage_hours']['median'])} / "
            f"{_fmt(report['time_to_triage_hours']['p90'])} "
            f"(n = {_fmt(report['time_to_triage_hours']['n'])})",
            f"{t('close', lang)}: {_fmt(report['time_to_close_hours']['median'])} / "
            f"{_fmt(report['time_to_close_hours']['p90'])} "
            f"(n = {_fmt(report['time_to_close_hours']['n'])})",
        ]
        for i, line in enumerate(lines):
            fig.text(0.08, 0.84 - 0.03 * i, line, fontsize=11)
        ax = fig.add_axes((0.1, 0.12, 0.85, 0.5))
        months = [m for m in report["monthly"] if m["count"] is not None]
        ax.plot([m["month"] for m in months], [m["count"] for m in months], marker="o")
        ax.set_title(f"{t('monthly', lang)} (n = {_fmt(report['total'])})", fontsize=10)
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        _footer(fig, report, lang)
        pdf.savefig(fig)
        plt.close(fig)

        for first in range(0, len(CHARTS), 2):
            fig, axes = plt.subplots(2, 1, figsize=(8.27, 11.69))
            for ax, name in zip(axes, CHARTS[first : first + 2], strict=True):
                _bar(ax, report["dimensions"][name], t(name, lang))
            fig.subplots_adjust(left=0.3, bottom=0.1, hspace=0.3)
            _footer(fig, report, lang)
            pdf.savefig(fig)
            plt.close(fig)

        sections = report.get("offices") or report.get("tenants") or {}
        if len(sections) > 1:
            fig, ax = plt.subplots(figsize=(8.27, 11.69))
            names = list(sections)
            totals = [sections[n]["total"] or 0 for n in names]
            ax.bar(names, totals, color="#6a9f58")
            for x, n in enumerate(names):
                ax.text(x, totals[x], _fmt(sections[n]["total"]), ha="center", va="bottom")
            ax.set_title(t("offices_compared", lang), fontsize=12)
            _footer(fig, report, lang)
            pdf.savefig(fig)
            plt.close(fig)
    return out.getvalue()
