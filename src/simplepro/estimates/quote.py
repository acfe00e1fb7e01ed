"""The printable quote of an estimate version: the data both the HTML page and the PDF show,
and the PDF itself.

The PDF is deterministic (its creation date is the version's), so rendering a version twice
gives the same bytes: a retried send stores the same file and records the same SHA-256.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simplepro.accounts.models import Company
from simplepro.core.pdf import latin1 as _text
from simplepro.core.pdf import letter_pdf, letterhead
from simplepro.core.pdf import money as _money
from simplepro.estimates.models import Estimate, EstimateVersion

BREAKDOWN_LINES = (
    ("labor", "Labor"),
    ("travel", "Travel and trucks"),
    ("materials", "Packing and materials"),
    ("special_items", "Special items"),
    ("handicaps", "Access (stairs, carry, elevator)"),
    ("seasonal", "Season and calendar"),
    ("valuation", "Valuation"),
    ("adjustment", "Adjustment"),
)
ESTIMATE_TYPES = {
    "binding": "Binding estimate: the price above is the price you pay.",
    "non_binding": "Non-binding estimate: the final price follows the actual time and weight.",
    "not_to_exceed": "Not-to-exceed estimate: you pay the actual price, at most the total above.",
}
SERVICES = {
    "local": "Local move",
    "long_distance": "Long-distance move",
    "storage": "Storage",
    "packing_only": "Packing only",
}


@dataclass(frozen=True)
class QuoteLine:
    name: str
    explanation: str
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    company: Company
    estimate: Estimate
    version: EstimateVersion
    service: str
    move_date: str
    lines: list[QuoteLine]
    breakdown: list[tuple[str, Decimal]]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    deposit_due: Decimal
    terms: str
    valid_until: dt.date | None


def quote_of(estimate: Estimate, version: EstimateVersion, company: Company) -> Quote:
    result: dict[str, Any] = version.result
    items = [
        *result.get("base_lines", []),
        *result.get("applied_rules", []),
        *result.get("applied_handicaps", []),
    ]
    items.extend(result[key] for key in ("valuation", "adjustment") if result.get(key))
    lines = [
        QuoteLine(i["name"], i["explanation"], Decimal(i["impact"]))
        for i in items
        if Decimal(i["impact"]) != 0 or i["id"] == "valuation"
    ]
    breakdown = result["breakdown"]
    return Quote(
        company=company,
        estimate=estimate,
        version=version,
        service=SERVICES.get(version.input["service"], version.input["service"]),
        move_date=version.input["move_date"],
        lines=lines,
        breakdown=[
            (label, Decimal(breakdown[key]))
            for key, label in BREAKDOWN_LINES
            if Decimal(breakdown.get(key, "0")) != 0
        ],
        subtotal=Decimal(breakdown["subtotal"]),
        tax=Decimal(breakdown["tax"]),
        total=Decimal(breakdown["total"]),
        deposit_due=Decimal(breakdown["deposit_due"]),
        terms=ESTIMATE_TYPES[version.input.get("estimate_type", "non_binding")],
        valid_until=estimate.valid_until,
    )


def render_pdf(quote: Quote) -> bytes:
    company = quote.company
    pdf = letter_pdf(
        created_at=quote.version.created_at,
        title=f"Quote {quote.estimate.pk} v{quote.version.number}",
        author=company.name,
    )
    width = pdf.epw
    letterhead(pdf, name=company.name, details=[
        company.phone, company.email, company.usdot_number and f"USDOT {company.usdot_number}"])  # fmt: skip
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(
        width,
        8,
        _text(f"Quote for {quote.estimate.customer.name}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=10)
    facts = [
        f"{quote.service} on {quote.move_date}",
        f"Estimate {quote.estimate.pk}, version {quote.version.number}",
    ]
    if quote.estimate.pickup_address:
        facts.append(f"From: {quote.estimate.pickup_address}")
    if quote.estimate.delivery_address:
        facts.append(f"To: {quote.estimate.delivery_address}")
    if quote.valid_until:
        facts.append(f"Valid until {quote.valid_until.isoformat()}")
    for fact in facts:
        pdf.cell(width, 5.5, _text(fact), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width * 0.75, 7, "What you pay for", border="B")
    pdf.cell(width * 0.25, 7, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    for line in quote.lines:
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.cell(width * 0.75, 5.5, _text(line.name))
        pdf.cell(width * 0.25, 5.5, _money(line.amount), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8.5)
        pdf.multi_cell(width * 0.75, 4.5, _text(line.explanation), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(2)
    pdf.set_font("Helvetica", size=10)
    for label, amount in [*quote.breakdown, ("Subtotal", quote.subtotal), ("Tax", quote.tax)]:
        pdf.cell(width * 0.75, 6, _text(label), align="R")
        pdf.cell(width * 0.25, 6, _money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(width * 0.75, 8, "Total", align="R", border="T")
    pdf.cell(
        width * 0.25, 8, _money(quote.total), align="R", border="T", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", size=10)
    pdf.cell(width * 0.75, 6, "Deposit due to book", align="R")
    pdf.cell(width * 0.25, 6, _money(quote.deposit_due), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(width, 5, _text(quote.terms), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=7.5)
    pdf.multi_cell(
        width,
        4,
        _text(
            f"Priced with ruleset {quote.version.result['ruleset_version']} "
            f"({quote.version.result['ruleset_hash'][:12]}); input {quote.version.input_hash}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
