"""Template context shared by every page: the sidebar, built from the permission map."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from simplepro.accounts.permissions import has_permission

# (label, url name or None while the module does not exist yet, permission needed)
NAVIGATION: tuple[tuple[str, str | None, str | None], ...] = (
    ("Dashboard", "dashboard", None),
    ("Customers", "customer-list", "customers.view"),
    ("Sales pipeline", "pipeline-board", "opportunities.view"),
    ("My day", "my-day", "activities.log"),
    ("Sales figures", "sales-figures", "opportunities.view"),
    ("Referrals", "referral-list", "referrals.view"),
    ("Partners", "partner-list", "referrals.view"),
    ("Estimates", "estimate-list", "estimates.view"),
    ("Jobs & dispatch", "dispatch-board", "jobs.manage"),
    ("My jobs", "my-jobs", "time_off.request"),
    ("Crews", None, None),
    ("Documents", "document-list", "documents.view"),
    ("Messages", "conversation-list", "messages.use"),
    ("Analytics", None, None),
    ("Users", "user-list", "users.manage"),
    ("Company", "company-settings", "company.change"),
    ("Pricing", "ruleset-list", "pricing.manage"),
    ("Lead forms", "lead-forms", "sales.configure"),
    ("Follow-up rules", "follow-up-rules", "sales.configure"),
    ("Audit log", "audit-list", "audit.view"),
    ("Background tasks", "task-list", "tasks.view"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    entries = [
        {"label": label, "url_name": url_name, "enabled": url_name is not None}
        for label, url_name, permission in NAVIGATION
        if permission is None or has_permission(user, permission)
    ]
    return {"navigation": entries}
