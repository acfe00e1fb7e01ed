"""The generated paperwork of a move as PDFs, each a pure function of `MoveFacts`.

- Order for service (49 CFR §375.401 for interstate moves): what was agreed before loading.
- Bill of lading: the contract and receipt, with every item §375.505(b) requires, numbered as
  the regulation numbers them so an auditor can tick them off.
- Inventory: every line with the condition exceptions the crew noted at pickup and delivery.
- Valuation election: the customer's choice of liability, with its price.
- Delivery receipt: the customer confirms what arrived, and notes what did not arrive well.
"""

from __future__ import annotations

from collections.abc import Callable

from fpdf import FPDF

from simplepro.core.pdf import latin1, letter_pdf, letterhead, money
from simplepro.documents.models import DocumentKind
from simplepro.paperwork.facts import CONDITION_CODES, CONDITION_PLACES, PAYMENT_FORMS, MoveFacts

TITLES: dict[str, str] = {
    DocumentKind.ORDER_FOR_SERVICE: "Order for service",
    DocumentKind.BILL_OF_LADING: "Bill of lading",
    DocumentKind.INVENTORY: "Inventory",
    DocumentKind.VALUATION: "Valuation election",
    DocumentKind.DELIVERY_RECEIPT: "Delivery receipt",
}


class Sheet:
    """One document being printed: a letterhead, then headings, facts, paragraphs, tables."""

    def __init__(self, facts: MoveFacts, title: str) -> None:
        self.facts = facts
        company = facts.company
        self.pdf: FPDF = letter_pdf(
            created_at=facts.printed_at, title=f"{title} {facts.job_number}", author=company["name"]
        )
        letterhead(self.pdf, name=company["name"], details=[
            company["address"], company["phone"], company["email"], f"USDOT {company['usdot']}",
            company["mc"] and f"MC {company['mc']}"])  # fmt: skip
        self.pdf.set_font("Helvetica", "B", 14)
        self.pdf.cell(self.pdf.epw, 8, latin1(f"{title} - job {facts.job_number}"),
                      new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        self.pdf.ln(2)

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("Helvetica", "B", 10.5)
        self.pdf.cell(self.pdf.epw, 6, latin1(text), border="B", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def fact(self, label: str, value: str) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(pdf.epw * 0.34, 5, latin1(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(pdf.epw * 0.66, 5, latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")

    def text(self, value: str, size: float = 9) -> None:
        self.pdf.set_font("Helvetica", size=size)
        self.pdf.multi_cell(self.pdf.epw, 4.6, latin1(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def row(self, cells: list[str], widths: list[float], bold: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", "B" if bold else "", 8.5)
        with pdf.table(col_widths=widths, first_row_as_headings=False, line_height=4.6) as table:
            table.row([latin1(c) for c in cells])

    def signature_lines(self, *who: str) -> None:
        self.heading("Signatures")
        for person in who:
            self.text(f"{person}: ______________________________   Date: ______________")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _parties(sheet: Sheet) -> None:
    f = sheet.facts
    sheet.fact("Customer (shipper)", f.customer)
    sheet.fact("Customer's phone", f.customer_phone)
    sheet.fact("Customer's e-mail", f.customer_email)
    sheet.fact("From (origin)", f.origin)
    sheet.fact("To (destination)", f.destination)


def _money(f: MoveFacts, amount: object) -> str:
    return f"{f.currency} {money(amount)}" if amount is not None else "To be determined"  # type: ignore[arg-type]


def _most_at_delivery(f: MoveFacts) -> str:
    if f.total is None:
        return "The charges of the estimate, once priced."
    if f.estimate_type == "non_binding":
        return (f"{_money(f, f.total * 110 / 100)}: 110 % of the non-binding estimate "
                f"({_money(f, f.total)}). Any balance is billed, payable within 30 days.")  # fmt: skip
    return f"{_money(f, f.total)}, the estimate's total, plus charges for services you add."


def _valuation_statement(f: MoveFacts) -> str:
    return (
        "Released rates valuation statement: unless you choose full value protection, the "
        f"carrier's liability is limited to {f.currency} {money(f.released_per_lb)} per pound "
        "per article (released value, at no charge). With full value protection, the carrier "
        "repairs, replaces or pays the current market value of a lost or damaged article, up "
        "to the value you declare for the shipment."
    )


def _valuation_chosen(f: MoveFacts) -> str:
    if f.valuation_kind == "full_value":
        declared = _money(f, f.declared_value) if f.declared_value is not None else "the minimum"
        return (f"Full value protection on a declared value of {declared}; charge "
                f"{_money(f, f.valuation_charge)}.")  # fmt: skip
    return (f"Released value: {f.currency} {money(f.released_per_lb)} per pound per article, "
            "no charge.")  # fmt: skip


def order_for_service(f: MoveFacts) -> bytes:
    sheet = Sheet(f, TITLES[DocumentKind.ORDER_FOR_SERVICE])
    sheet.heading("The mover")
    sheet.fact("Mover", f"{f.company['name']}, {f.company['address']}")
    sheet.fact("USDOT number", f.company["usdot"])
    sheet.heading("The customer and the move")
    _parties(sheet)
    sheet.fact("Agreed pickup", f.pickup_window)
    sheet.fact("Agreed delivery", f.delivery_window)
    sheet.heading("Charges")
    sheet.fact("Estimate", f"{f.estimate_kind} ({f.estimate_ref})")
    sheet.fact("Estimated total", _money(f, f.total))
    sheet.fact("Deposit to book", _money(f, f.deposit))
    sheet.fact("Most due at delivery", _most_at_delivery(f))
    sheet.fact("Forms of payment", PAYMENT_FORMS)
    sheet.fact("Valuation", _valuation_chosen(f))
    if f.interstate:
        sheet.text("You have received the booklet \"Your Rights and Responsibilities When You "
                   "Move\" and our arbitration program summary.")  # fmt: skip
    sheet.signature_lines("Customer", "For the mover")
    return sheet.output()


def bill_of_lading(f: MoveFacts) -> bytes:
    sheet = Sheet(f, TITLES[DocumentKind.BILL_OF_LADING])
    _parties(sheet)
    sheet.heading("What 49 CFR 375.505(b) requires")
    attachments = "the estimate (" + f.estimate_ref + "), the order for service, the inventory"
    items = [
        ("(1) Mover", f"{f.company['name']}, {f.company['address']} (USDOT {f.company['usdot']})"),
        ("(2) Other carriers", "None known: no other motor carrier takes part in this move."),
        ("(3) Office to contact", f"{f.company['name']}, {f.company['address']}, "
                                  f"telephone {f.company['phone']}"),
        ("(4) Payment at delivery", f"{PAYMENT_FORMS}, as on the estimate and order for service"),
        ("(5) Party to notify of charges", f"{f.customer}, {f.customer_phone or f.customer_email}"),
        ("(6) Agreed pickup and delivery", f"Pickup: {f.pickup_window}. "
                                           f"Delivery: {f.delivery_window}."),
        ("(7) Guaranteed service", "Not guaranteed: no penalty or per diem applies."),
        ("(8) Actual date of pickup", "The date the customer signs this bill at pickup "
                                      "(shown on the signature's evidence page)."),
        ("(9) Vehicles", ", ".join(f.vehicles) or "Recorded on the job when the truck is loaded"),
        ("(10) Terms of payment", f"{f.estimate_kind}; total {_money(f, f.total)}, less the "
                                  f"deposit of {_money(f, f.deposit)}. No minimum charge applies "
                                  "beyond the estimate's."),
        ("(11) Most demanded at delivery", _most_at_delivery(f)),
        ("(12) Valuation", _valuation_statement(f) + " Chosen: " + _valuation_chosen(f)),
        ("(13) Insurance from an independent insurer", "None sold or procured by the mover."),
        ("(14) Attachments", attachments + "; each is part of this contract."),
    ]  # fmt: skip
    for label, value in items:
        sheet.fact(label, value)
    sheet.heading("Terms")
    sheet.text("The customer tenders the goods listed on the attached inventory to the mover for "
               "carriage to the destination above, on the terms of this bill of lading and the "
               "mover's tariff. Claims for loss or damage must be filed in writing within nine "
               "months of delivery.")  # fmt: skip
    sheet.signature_lines("Customer (shipper)", "Mover's representative")
    return sheet.output()


def _exceptions(values: tuple[str, ...]) -> str:
    return "; ".join(values) or "No exceptions"


def inventory(f: MoveFacts) -> bytes:
    sheet = Sheet(f, TITLES[DocumentKind.INVENTORY])
    _parties(sheet)
    sheet.heading("Items and their condition")
    widths = [8.0, 48.0, 10.0, 67.0, 67.0]
    sheet.row(["#", "Item (room)", "Qty", "Condition at pickup", "Condition at delivery"],
              widths, bold=True)  # fmt: skip
    for line in f.lines:
        item = f"{line.item} ({line.room})" if line.room else line.item
        sheet.row([str(line.number), item, str(line.quantity), _exceptions(line.pickup),
                   _exceptions(line.delivery)], widths)  # fmt: skip
    if not f.lines:
        sheet.text("No inventory lines on this job.")
    sheet.heading("Exception codes")
    sheet.text(", ".join(f"{k} {v}" for k, v in CONDITION_CODES.items()), size=7.5)
    sheet.text("Places: " + ", ".join(f"{k} {v}" for k, v in CONDITION_PLACES.items()), size=7.5)
    sheet.signature_lines("Customer", "Crew lead")
    return sheet.output()


def valuation_election(f: MoveFacts) -> bytes:
    sheet = Sheet(f, TITLES[DocumentKind.VALUATION])
    _parties(sheet)
    sheet.heading("Your two options")
    sheet.text(_valuation_statement(f))
    sheet.heading("Your choice")
    sheet.fact("Chosen", _valuation_chosen(f))
    sheet.text("By signing you confirm this choice. Released value costs nothing but pays very "
               "little: a 10 lb lamp is covered for at most "
               f"{f.currency} {money(f.released_per_lb * 10)}.")  # fmt: skip
    sheet.signature_lines("Customer")
    return sheet.output()


def delivery_receipt(f: MoveFacts) -> bytes:
    sheet = Sheet(f, TITLES[DocumentKind.DELIVERY_RECEIPT])
    _parties(sheet)
    sheet.heading("Delivered")
    damaged = [line for line in f.lines if line.delivery]
    sheet.text(f"{len(f.lines)} inventory lines delivered to {f.destination}.")
    for line in damaged:
        sheet.fact(f"{line.number}. {line.item}", _exceptions(line.delivery))
    if not damaged:
        sheet.text("No exceptions were noted at delivery.")
    sheet.text("Signing this receipt does not waive a claim for loss or damage found later: you "
               "have nine months from delivery to file one in writing.")  # fmt: skip
    sheet.signature_lines("Customer")
    return sheet.output()


RENDERERS: dict[str, Callable[[MoveFacts], bytes]] = {
    DocumentKind.ORDER_FOR_SERVICE: order_for_service,
    DocumentKind.BILL_OF_LADING: bill_of_lading,
    DocumentKind.INVENTORY: inventory,
    DocumentKind.VALUATION: valuation_election,
    DocumentKind.DELIVERY_RECEIPT: delivery_receipt,
}
