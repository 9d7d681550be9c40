"""The progress e-mail: plain text and HTML from jinja2 templates, in kk, ru or en.

It says only that there is news and where to read it: the follow-up page's address (in the
complainant's language). No receipt code (intake keeps only its hash), no complaint text, no
status, no centre or case detail: whoever else reads the mailbox learns nothing more."""

from __future__ import annotations

import json
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alac_kernel.mail import compose

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@cache
def texts(lang: str) -> dict[str, str]:
    return json.loads((TEMPLATES / "texts.json").read_text(encoding="utf-8"))[lang]


def followup_link(followup_url: str, lang: str) -> str:
    """The follow-up page, opened in the complainant's language."""
    joiner = "&" if "?" in followup_url else "?"
    return f"{followup_url}{joiner}{urlencode({'lang': lang})}"


def progress_email(
    *, delivery_id: str, sender: str, to: str, lang: str, followup_url: str
) -> EmailMessage:
    context = {"t": texts(lang), "lang": lang, "link": followup_link(followup_url, lang)}
    env = _environment()
    return compose(
        delivery_id=delivery_id,
        sender=sender,
        to=to,
        subject=texts(lang)["subject"],
        text=env.get_template("progress.txt").render(context),
        html=env.get_template("progress.html").render(context),
        language=lang,
    )
