"""What every PDF SimplePro prints shares: the page, the fonts, the text they can show.

Documents are deterministic: the creation date is given (a stored moment of the thing printed,
never "now") and fpdf2 writes no random identifiers, so the same data prints the same bytes and
a printed document can be stored once under its SHA-256.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fpdf import FPDF

from simplepro.pricing.money import money_text

_REPLACED = {"–": "-", "—": "-", "…": "...", "≥": ">=", "≤": "<=", "’": "'", "“": '"', "”": '"'}


def latin1(value: object) -> str:
    """The built-in fonts are Latin-1: other characters are replaced, never dropped."""
    text = str(value)
    for wide, narrow in _REPLACED.items():
        text = text.replace(wide, narrow)
    return text.encode("latin-1", "replace").decode("latin-1")


def money(amount: Decimal) -> str:
    return money_text(amount)


def letter_pdf(*, created_at: dt.datetime, title: str, author: str) -> FPDF:
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(created_at)
    pdf.set_title(latin1(title))
    pdf.set_author(latin1(author))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    return pdf


def letterhead(pdf: FPDF, *, name: str, details: list[str]) -> None:
    """The company's name and the contact details that are set, on one line below it."""
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(pdf.epw, 9, latin1(name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    contact = " · ".join(x for x in details if x)
    if contact:
        pdf.cell(pdf.epw, 5, latin1(contact), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
