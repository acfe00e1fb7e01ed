from __future__ import annotations

import re
from typing import Any

from django import forms

from simplepro.accounts.selectors import salespeople
from simplepro.customers.models import CustomerStatus, CustomerType, LeadSource


def _lines(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", value or "") if part.strip()]


class CustomerForm(forms.Form):
    """The HTML shape of a customer. `to_data` turns it into the API's CustomerIn fields, so
    the page and the API are validated by the same schema and the same service."""

    type = forms.ChoiceField(choices=CustomerType.choices)
    name = forms.CharField(max_length=200)
    company_name = forms.CharField(max_length=200, required=False)
    emails = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line"
    )
    phones = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, any common format",
    )
    address_line1 = forms.CharField(label="Street address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Apartment, suite", max_length=200, required=False)
    address_city = forms.CharField(label="City", max_length=100, required=False)
    address_region = forms.CharField(label="State / region", max_length=100, required=False)
    address_postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    status = forms.ChoiceField(choices=CustomerStatus.choices, initial=CustomerStatus.LEAD)
    source = forms.ChoiceField(choices=[("", "—"), *LeadSource.choices], required=False)
    referred_by = forms.CharField(max_length=200, required=False)
    assigned_salesperson_id = forms.ChoiceField(label="Salesperson", required=False)
    tags = forms.CharField(required=False, help_text="Comma separated")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    FIELD_MAP = {"addresses": "address_line1"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_salesperson_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "— nobody —")] + [
            (str(u.pk), u.display_name) for u in salespeople().order_by("first_name", "username")
        ]

    def to_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            "type": data["type"],
            "name": data["name"],
            "company_name": data["company_name"],
            "emails": _lines(data["emails"]),
            "phones": _lines(data["phones"]),
            "status": data["status"],
            "source": data["source"],
            "referred_by": data["referred_by"],
            "assigned_salesperson_id": data["assigned_salesperson_id"] or None,
            "tags": [t.strip() for t in (data["tags"] or "").split(",") if t.strip()],
            "notes": data["notes"],
            "addresses": [],
        }
        if data["address_line1"]:
            result["addresses"] = [
                {
                    "label": "primary",
                    "line1": data["address_line1"],
                    "line2": data["address_line2"],
                    "city": data["address_city"],
                    "region": data["address_region"],
                    "postal_code": data["address_postal_code"],
                }
            ]
        return result

    @classmethod
    def initial_from(cls, customer: Any) -> dict[str, Any]:
        address = customer.addresses[0] if customer.addresses else {}
        return {
            "type": customer.type,
            "name": customer.name,
            "company_name": customer.company_name,
            "emails": "\n".join(customer.emails),
            "phones": "\n".join(customer.phones),
            "status": customer.status,
            "source": customer.source,
            "referred_by": customer.referred_by,
            "assigned_salesperson_id": str(customer.assigned_salesperson_id or ""),
            "tags": ", ".join(customer.tags),
            "notes": customer.notes,
            **{
                f"address_{k}": address.get(k, "")
                for k in ("line1", "line2", "city", "region", "postal_code")
            },
        }
