"""Letters of support from jinja2 templates (Kazakh, Russian, English) to PDF with fpdf2.

The font is PT Sans (OFL, ParaType), installed from PyPI as `fontpkg-pt-sans`, embedded in the
PDF: it has every Kazakh letter (ә ғ қ ң ө ұ ү һ і), which the PDF core fonts lack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import fontpkg_pt_sans
from fpdf import FPDF
from jinja2 import Environment, PackageLoader, StrictUndefined

LANGUAGES = ("kk", "ru", "en")
FONT_DIR = fontpkg_pt_sans.ROOT / "files"

# Plain text, not HTML: nothing to escape; a missing variable is an error, not a blank.
_templates = Environment(
    loader=PackageLoader("alac_cases.letters", "templates"),
    autoescape=False,  # noqa: S701 - plain text drawn into a PDF, never HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class LetterContent:
    language: str
    authority: str
    legal_assessment: str
    facts: str
    request: str
    lawyer: str
    centre: str
    office: str
    case_reference: str
    dated: date


def render_text(content: LetterContent) -> str:
    template = _templates.get_template(f"letter_{content.language}.txt.j2")
    return template.render(**content.__dict__)


def render_pdf(content: LetterContent) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.add_font("PTSans", "", str(FONT_DIR / "PT_Sans-Web-Regular.ttf"))
    pdf.add_font("PTSans", "B", str(FONT_DIR / "PT_Sans-Web-Bold.ttf"))
    pdf.set_title(f"Letter of support {content.case_reference}")
    pdf.add_page()
    for line in render_text(content).splitlines():
        if line.startswith("# "):  # a heading of the template
            pdf.set_font("PTSans", "B", 12)
            pdf.multi_cell(0, 7, line[2:], new_x="LMARGIN", new_y="NEXT")
        elif not line.strip():
            pdf.ln(4)
        else:
            pdf.set_font("PTSans", "", 11)
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
