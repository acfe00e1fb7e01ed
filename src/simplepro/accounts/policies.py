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


def required_signoffs(company: Any) -> dict[str, list[str]]:
    own = company.required_signoffs or {}
    return {kind: list(own.get(kind, names)) for kind, names in DEFAULT_SIGNOFFS.items()}
