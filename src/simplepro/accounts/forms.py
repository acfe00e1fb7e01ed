from __future__ import annotations

from typing import Any

from django import forms

from simplepro.accounts.models import Company, Role
from simplepro.accounts.permissions import discount_limits


class LoginForm(forms.Form):
    username = forms.CharField(label="Username or e-mail", max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=1024)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(widget=forms.PasswordInput)
    new_password = forms.CharField(widget=forms.PasswordInput)


class UserCreateForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{3,150}$", max_length=150)
    email = forms.EmailField()
    first_name = forms.CharField(required=False, max_length=150)
    last_name = forms.CharField(required=False, max_length=150)
    role = forms.ChoiceField(choices=Role.choices)


class UserEditForm(forms.Form):
    first_name = forms.CharField(required=False, max_length=150)
    last_name = forms.CharField(required=False, max_length=150)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, label="Active")


# Roles that price estimates, whose manual discount limit the company sets.
DISCOUNTING_ROLES = (Role.SALES, Role.CUSTOMER_SERVICE, Role.MANAGER, Role.ADMIN)


class CompanyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Company
        # Edited on their own pages (discount limits below, sign-offs with the checklists).
        fields = tuple(
            f for f in Company.EDITABLE_FIELDS if f not in {"discount_limits", "required_signoffs"}
        )

    logo = forms.FileField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = discount_limits(self.instance)
        for role in DISCOUNTING_ROLES:
            self.fields[f"discount_{role}"] = forms.DecimalField(
                label=f"Largest discount, {role.label} (%)",
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=limits[role],
            )

    def discount_limits(self) -> dict[str, str]:
        return {str(role): str(self.cleaned_data[f"discount_{role}"]) for role in DISCOUNTING_ROLES}
