"""Letters of support from jinja2 templates (Kazakh, Russian, English) to PDF with fpdf2.

The font is PT Sans (OFL, ParaType), installed from PyPI as `fontpkg-pt-sans`, embedded in the
PDF: it has every Kazakh letter (ә ғ қ ң ө ұ ү һ і), which the PDF core fonts lack."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import fontpkg_pt_sans
from babel.dates import format_date
from fpdf import FPDF
from jinja2 import Environment, PackageLoader, StrictUndefined

from alac_cases.letters.letterhead import Letterhead

LOGO_HEIGHT_MM, LOGO_WIDTH_MM = 18, 40
FONT_DIR = fontpkg_pt_sans.ROOT / "files"

# Plain text, not HTML: nothing to escape; a missing variable is an error, not a blank.
_templates = Environment(
    loader=PackageLoader("alac_cases.letters", "templates"),
    autoescape=False,  # noqa: S701 - plain text drawn into a PDF, never HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Signatory:
    name: str
    position: str | None = None


@dataclass(frozen=True)
class LetterContent:
    language: str
    authority: str
    legal_assessment: str
    facts: str
    request: str
    signatory: Signatory
    letterhead: Letterhead
    reference: str
    case_reference: str
    dated: date
    addressee_address: str | None = None


LABELS = {
    "reference": {"en": "Ref. No.", "ru": "Исх. №", "kk": "Шығыс №"},
    "case": {"en": "Case", "ru": "Дело", "kk": "Іс"},
    "lawyer": {"en": "Lawyer", "ru": "Юрист", "kk": "Заңгер"},
    "signature": {"en": "signature", "ru": "подпись", "kk": "қолы"},
}


def written_date(day: date, language: str) -> str:
    """The date as written in a letter in that language (CLDR, via Babel): 7 December 2026,
    7 декабря 2026 г., 2026 ж. 7 желтоқсан."""
    # English as written in Kazakhstan's official letters: day before month (en_GB).
    written = format_date(day, format="long", locale={"en": "en_GB"}.get(language, language))
    # CLDR's narrow no-break space before "г." / "ж." is not in PT Sans: a plain no-break one.
    return written.replace("\u202f", "\u00a0")


def render_text(content: LetterContent) -> str:
    template = _templates.get_template(f"letter_{content.language}.txt.j2")
    return template.render(**content.__dict__)


def render_pdf(content: LetterContent) -> bytes:
    lang = content.language
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.add_font("PTSans", "", str(FONT_DIR / "PT_Sans-Web-Regular.ttf"))
    pdf.add_font("PTSans", "B", str(FONT_DIR / "PT_Sans-Web-Bold.ttf"))
    pdf.set_title(f"Letter of support {content.reference}")
    pdf.add_page()
    _letterhead(pdf, content.letterhead)
    # Reference and date on one line, as an outgoing letter carries them.
    pdf.set_font("PTSans", "", 10)
    half = pdf.epw / 2
    pdf.cell(half, 6, f"{LABELS['reference'][lang]} {content.reference}")
    pdf.cell(half, 6, written_date(content.dated, lang), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 5, f"{LABELS['case'][lang]}: {content.case_reference}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    # The addressee block: the right half of the page, as Kazakh and Russian letters set it.
    pdf.set_font("PTSans", "B", 11)
    pdf.set_x(pdf.l_margin + half)
    pdf.multi_cell(half, 5.5, content.authority, new_x="LMARGIN", new_y="NEXT")
    if content.addressee_address:
        pdf.set_font("PTSans", "", 10)
        pdf.set_x(pdf.l_margin + half)
        pdf.multi_cell(half, 5, content.addressee_address, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for line in render_text(content).splitlines():
        if line.startswith("# "):  # a heading of the template
            pdf.set_font("PTSans", "B", 12)
            pdf.multi_cell(0, 7, line[2:], new_x="LMARGIN", new_y="NEXT")
        elif not line.strip():
            pdf.ln(4)
        else:
            pdf.set_font("PTSans", "", 11)
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    _signature(pdf, content)
    return bytes(pdf.output())


def _letterhead(pdf: FPDF, head: Letterhead) -> None:
    top = pdf.get_y()
    width, logo_bottom = pdf.epw, top
    if head.logo_png:
        # At the top right, LOGO_HEIGHT_MM high (its width follows its proportions, at most
        # LOGO_WIDTH_MM); the name and address keep the rest of the line.
        logo = pdf.image(
            io.BytesIO(head.logo_png), x=pdf.l_margin + pdf.epw - LOGO_WIDTH_MM, y=top,
            w=LOGO_WIDTH_MM, h=LOGO_HEIGHT_MM, keep_aspect_ratio=True,
        )  # fmt: skip
        width, logo_bottom = pdf.epw - LOGO_WIDTH_MM - 4, top + logo.rendered_height
        pdf.set_xy(pdf.l_margin, top)
    pdf.set_font("PTSans", "B", 14)
    pdf.multi_cell(width, 7, head.name, new_x="LMARGIN", new_y="NEXT")
    lines = (head.address or "").splitlines()
    contact = head.contact_line()
    if contact:
        lines.append(contact)
    pdf.set_font("PTSans", "", 9)
    for line in lines:
        pdf.multi_cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    bottom = max(pdf.get_y(), top, logo_bottom) + 2
    pdf.set_draw_color(80, 80, 80)
    pdf.line(pdf.l_margin, bottom, pdf.l_margin + pdf.epw, bottom)
    pdf.set_y(bottom + 4)


def _signature(pdf: FPDF, content: LetterContent) -> None:
    lang = content.language
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(10)
    pdf.set_font("PTSans", "", 11)
    position = (
        content.signatory.position or content.letterhead.signatory_title or LABELS["lawyer"][lang]
    )
    pdf.multi_cell(pdf.epw * 0.5, 6, f"{position}\n{content.letterhead.name}",
                   new_x="RIGHT", new_y="TOP")  # fmt: skip
    y = pdf.get_y()
    pdf.set_font("PTSans", "", 7)
    pdf.set_xy(pdf.l_margin + pdf.epw * 0.5, y + 4)
    pdf.cell(pdf.epw * 0.2, 4, f"({LABELS['signature'][lang]})", border="T", align="C")
    pdf.set_font("PTSans", "B", 11)
    pdf.set_xy(pdf.l_margin + pdf.epw * 0.72, y)
    pdf.multi_cell(
        pdf.epw * 0.28, 6, content.signatory.name, align="R", new_x="LMARGIN", new_y="NEXT"
    )
