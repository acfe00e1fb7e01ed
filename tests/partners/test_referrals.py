"""Referral partners: commission structures checked and computed from the job's final
price when the move is completed, paid once; referrals from the office and from the
partner's own portal, whose sign-in is a principal that no staff route accepts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from simplepro.accounts.models import User
from simplepro.estimates.services import estimate_create, estimate_decide, estimate_send
from simplepro.jobs.services import job_create, job_transition
from simplepro.partners.commission import commission_for
from simplepro.partners.models import Partner, Referral
from simplepro.partners.services import account_create, partner_save
from simplepro.pricing import EstimateInput
from simplepro.sales.models import Opportunity
from tests.conftest import ApiClient
from tests.paperwork.helpers import sign_off_all

pytestmark = pytest.mark.django_db
TIERS = [{"up_to": "2000", "rate": "5"}, {"up_to": "5000", "rate": "7.5"}]


def tiered(personas: dict[str, User]) -> Partner:
    return partner_save(actor=personas["admin"], partner=None, data={
        "name": "Harbor Realty", "kind": "realtor", "commission_type": "tiered",
        "commission_tiers": TIERS,
    })  # fmt: skip


def portal_client(partner: Partner, personas: dict[str, User]) -> Client:
    account_create(actor=personas["admin"], partner=partner, name="Rita Realtor",
                   email="rita@harbor.example", password="correct horse battery")  # fmt: skip
    client = Client(enforce_csrf_checks=True)
    signed = client.post("/api/partner-portal/login", {"email": "rita@harbor.example",
                         "password": "correct horse battery"}, content_type="application/json")  # fmt: skip
    assert signed.status_code == 200, signed.content
    return client


def complete_the_move(opportunity: Opportunity, personas: dict[str, User]) -> Any:
    sales = personas["sales"]
    estimate = estimate_create(
        actor=sales, customer=opportunity.customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 6, 14)),
    )  # fmt: skip
    estimate_send(actor=sales, estimate=estimate)
    estimate_decide(actor=None, estimate=estimate, accepted=True)
    estimate.refresh_from_db()
    start = dt.datetime(2027, 6, 14, 12, tzinfo=dt.UTC)
    job = job_create(actor=personas["dispatcher"], customer=opportunity.customer, data={
        "estimate": estimate, "scheduled_start": start,
        "scheduled_end": start + dt.timedelta(hours=5),
    })  # fmt: skip
    sign_off_all(personas["dispatcher"], job)
    for step in ("confirmed", "en_route", "in_progress", "completed"):
        job_transition(actor=personas["dispatcher"], job=job, to=step)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    ("price", "expected", "rule"),
    [
        ("1999.99", "100.00", "5 % of 1999.99 (tier up to 2000.00)"),
        ("2000.00", "100.00", "5 % of 2000.00 (tier up to 2000.00)"),
        ("2000.01", "150.00", "7.5 % of 2000.01 (tier up to 5000.00)"),
        ("9000.00", "675.00", "7.5 % of 9000.00 (tier above 5000.00 (the last tier))"),
    ],
)
def test_a_tier_is_chosen_by_the_job_value(price: str, expected: str, rule: str) -> None:
    structure = {"commission_type": "tiered", "commission_tiers": [
        {"up_to": "2000.00", "rate": "5"}, {"up_to": "5000.00", "rate": "7.5"}]}  # fmt: skip
    assert commission_for(structure, Decimal(price)) == (Decimal(expected), rule)


def test_commission_structures_are_checked(personas: dict[str, User]) -> None:
    api = ApiClient(personas["admin"])
    for body, field in (
        ({"commission_type": "percentage", "commission_rate": "101"}, "commission_rate"),
        ({"commission_type": "percentage"}, "commission_rate"),
        ({"commission_type": "flat", "commission_flat": "0"}, "commission_flat"),
        ({"commission_type": "flat", "commission_flat": "1e20"}, "commission_flat"),
        ({"commission_type": "percentage", "commission_rate": "12.345"}, "commission_rate"),
        ({"commission_type": "tiered", "commission_tiers": [
            {"up_to": "5000", "rate": "5"}, {"up_to": "3000", "rate": "6"}]},
         "commission_tiers[1].up_to"),
        ({"commission_type": "tiered", "commission_tiers": [{"up_to": None, "rate": "-1"}]},
         "commission_tiers[0].rate"),
    ):  # fmt: skip
        refused = api.post_json("/api/partners", {"name": "X", "kind": "other", **body})
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field
    assert not Partner.objects.exists()
    made = api.post_json("/api/partners", {"name": "Storage Co", "kind": "storage_facility",
                                           "commission_type": "flat", "commission_flat": "75"})  # fmt: skip
    assert made.status_code == 201 and made.json()["commission_flat"] == "75.00"


def test_a_referral_from_the_portal_earns_its_commission_once_paid_once(
    personas: dict[str, User], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    partner = tiered(personas)
    client = portal_client(partner, personas)
    assert client.get("/partners/portal/").status_code == 200  # the portal page sets it
    token = client.cookies["simplepro_csrf"].value
    refused = client.post("/api/partner-portal/referrals", {"name": "No token"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 403  # a cookie alone is not enough: CSRF
    sent = client.post("/api/partner-portal/referrals", {
        "name": "Lee Buyer", "email": "lee@example.com", "phone": "617-555-0199",
        "move_size": "three_bedrooms", "notes": "Closing on the 12th",
    }, content_type="application/json", HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert sent.status_code == 201, sent.content
    referral = Referral.objects.get()
    opportunity = referral.opportunity
    assert (opportunity.source, referral.status) == ("partner", "received")
    assert opportunity.salesperson is not None  # the rotation gave it to someone
    # The referral rule calls the customer within two hours.
    assert opportunity.rule_runs.get(rule__key="referral-call").matched
    job = complete_the_move(opportunity, personas)
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.commission_status == "pending"
    assert referral.commission_base == job.total
    rate = Decimal("5") if job.total <= 2000 else Decimal("7.5")
    assert referral.commission_amount == (job.total * rate / 100).quantize(Decimal("0.01"))
    mine = client.get("/api/partner-portal/referrals").json()
    assert [(r["customer_name"], r["commission_status"]) for r in mine] == [
        ("Lee Buyer", "pending")
    ]
    assert client.get("/api/partner-portal/me").json()["commissions_pending"] == str(
        referral.commission_amount
    )
    api = ApiClient(personas["admin"])
    paid = api.post_json(f"/api/referrals/{referral.pk}/commission-paid",
                         {"reference": "cheque 1042"})  # fmt: skip
    assert paid.status_code == 200 and paid.json()["commission_status"] == "paid"
    again = api.post_json(f"/api/referrals/{referral.pk}/commission-paid", {})
    assert again.status_code == 409 and "was paid on" in again.json()["detail"]
    assert (
        ApiClient(personas["manager"])
        .post_json(f"/api/referrals/{referral.pk}/commission-paid", {})
        .status_code
        == 403
    )


def test_a_partner_session_reaches_no_staff_route(personas: dict[str, User]) -> None:
    client = portal_client(tiered(personas), personas)
    assert client.get("/api/partner-portal/me").status_code == 200
    for path in (
        "/api/customers",
        "/api/opportunities",
        "/api/referrals",
        "/api/partners",
        "/api/auth/me",
        "/api/users",
    ):
        assert client.get(path).status_code == 401, path
    for page in ("/", "/sales/", "/customers/", "/sales/partners/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), page
    # Turned off in the office: the session ends at once.
    from simplepro.partners.models import PartnerAccount  # noqa: PLC0415
    from simplepro.partners.services import account_set_active  # noqa: PLC0415

    account_set_active(actor=personas["admin"], account=PartnerAccount.objects.get(),
                       active=False)  # fmt: skip
    assert client.get("/api/partner-portal/me").status_code == 401


def test_partner_sign_in_is_rate_limited_and_does_not_tell_who_exists(
    personas: dict[str, User], settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    partner = tiered(personas)
    account_create(actor=personas["admin"], partner=partner, name="Rita",
                   email="rita@harbor.example", password="correct horse battery")  # fmt: skip
    client = Client()
    answers = [client.post("/api/partner-portal/login", {"email": "rita@harbor.example",
               "password": "wrong"}, content_type="application/json").status_code
               for _ in range(4)]  # fmt: skip
    assert answers == [401, 401, 401, 429]
    nobody = client.post("/api/partner-portal/login", {"email": "nobody@x.example",
                         "password": "wrong"}, content_type="application/json")  # fmt: skip
    assert nobody.status_code == 401 and nobody.json()["detail"] == "Wrong e-mail or password."


def _paths(patterns: list[Any], prefix: str = "") -> list[str]:
    """Every URL of the site, with made-up ids where a pattern takes one."""
    from django.urls import URLPattern, URLResolver  # noqa: PLC0415

    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _paths(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append(route)
    made_up = {"<uuid:": "00000000-0000-0000-0000-000000000001", "<int:": "1",
               "<str:": "x", "<slug:": "x", "<path:": "x"}  # fmt: skip
    paths = []
    for route in found:
        if route.startswith("^") or "(?P" in route:
            continue
        while "<" in route:
            start = route.index("<")
            end = route.index(">", start)
            kind = next((v for k, v in made_up.items() if route[start:].startswith(k)), "x")
            route = route[:start] + kind + route[end + 1 :]
        paths.append("/" + route.lstrip("/"))
    return paths


# Pages anyone may open (sign-in, the public lead form and quote links, health) and the
# partner's own portal.
OPEN_TO_ALL = (
    "/login/",
    "/password-reset",
    "/health",
    "/ready",
    "/partners/portal/",
    "/metrics",
    "/api/docs",
    "/api/openapi.json",
    "/sw.js",
    "/manifest",
)


def test_a_partner_session_opens_no_staff_page(personas: dict[str, User]) -> None:
    from django.urls import get_resolver  # noqa: PLC0415

    client = portal_client(tiered(personas), personas)
    opened, walked = [], 0
    for path in _paths(get_resolver().url_patterns):
        if path.startswith(OPEN_TO_ALL) or path.startswith("/api/"):
            continue  # the API is walked route by route in tests/test_permissions.py
        response = client.get(path)
        walked += 1
        if response.status_code == 200:
            opened.append(path)
        elif response.status_code == 302:
            assert response["Location"].startswith(("/login/", "/partners/portal/")), path
        else:
            assert response.status_code in (301, 401, 403, 404, 405), (path, response.status_code)
    assert opened == []
    assert walked > 60  # the walk found the site's pages
