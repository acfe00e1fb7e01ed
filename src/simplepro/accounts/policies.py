"""Company policies with SimplePro's defaults until the company sets its own."""

from __future__ import annotations

from typing import Any

# Until a company sets its own: what a job needs from the customer before work starts.
DEFAULT_SIGNOFFS: dict[str, list[str]] = {
    "local": ["estimate_accepted", "valuation_chosen", "bill_of_lading_signed"],
    "long_distance": [
        "estimate_accepted",
        "valuation_chosen",
        "rights_and_responsibilities_received",
        "bill_of_lading_signed",
    ],
    "storage": ["estimate_accepted", "storage_agreement_signed"],
    "packing_only": ["estimate_accepted"],
}


# Sign-offs that only evidence satisfies: a signed document of the kind named (signed
# electronically, or a scan of the paper original), or the recorded delivery of the booklet.
# Any other name (a company's own) is ticked by the office.
SIGNED_DOCUMENT_SIGNOFFS: dict[str, str] = {
    "bill_of_lading_signed": "bill_of_lading",
    "valuation_chosen": "valuation",
    "order_for_service_signed": "order_for_service",
    "inventory_signed": "inventory",
    "delivery_receipt_signed": "delivery_receipt",
    "storage_agreement_signed": "contract",
}
BOOKLET_SIGNOFF = "rights_and_responsibilities_received"
EVIDENCED_SIGNOFFS = frozenset({*SIGNED_DOCUMENT_SIGNOFFS, BOOKLET_SIGNOFF})


def required_signoffs(company: Any) -> dict[str, list[str]]:
    own = company.required_signoffs or {}
    return {kind: list(own.get(kind, names)) for kind, names in DEFAULT_SIGNOFFS.items()}
