"""The partner pages as people use them: the office adds a partner and gives portal access;
the partner signs in, refers a customer and sees it; the office pays the commission."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from simplepro.accounts.models import User
from simplepro.partners.models import Partner, Referral

pytestmark = pytest.mark.django_db


def test_the_office_and_the_partner_do_their_part_in_the_pages(
    web_as: Any, personas: dict[str, User]
) -> None:
    office = web_as(personas["admin"])
    added = office.post("/sales/partners/", {
        "name": "Harbor Realty", "kind": "realtor", "commission_type": "tiered",
        "commission_tiers": "2000 5\n5000 7.5", "is_active": "1",
    })  # fmt: skip
    partner = Partner.objects.get()
    assert added.status_code == 302 and partner.commission_tiers == [
        {"up_to": "2000.00", "rate": "5"},
        {"up_to": "5000.00", "rate": "7.5"},
    ]
    page = office.get(f"/sales/partners/{partner.pk}/").content.decode()
    assert "5 % up to USD 2,000.00; 7.5 % up to USD 5,000.00" in page
    office.post(f"/sales/partners/{partner.pk}/", {
        "action": "account", "name": "Rita", "email": "rita@harbor.example",
        "password": "correct horse battery"})  # fmt: skip
    bad = office.post("/sales/partners/", {"name": "Bad", "kind": "other",
                                           "commission_type": "percentage",
                                           "commission_rate": "150"}, follow=True)  # fmt: skip
    assert "A percentage from 0 to 100" in bad.content.decode()

    browser = Client()
    assert browser.get("/partners/portal/")["Location"] == "/partners/portal/login/"
    wrong = browser.post("/partners/portal/login/", {"email": "rita@harbor.example",
                                                     "password": "nope"})  # fmt: skip
    assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.content.decode()
    assert browser.post("/partners/portal/login/", {"email": "rita@harbor.example",
                        "password": "correct horse battery"}).status_code == 302  # fmt: skip
    refused = browser.post("/partners/portal/refer/", {"name": "No Contact"})
    assert refused.status_code == 422
    sent = browser.post("/partners/portal/refer/", {"name": "Lee Buyer",
                        "email": "lee@example.com", "move_size": "two_bedrooms"})  # fmt: skip
    assert sent.status_code == 302
    home = browser.get("/partners/portal/").content.decode()
    assert "Lee Buyer" in home and "Received" in home and "Not earned yet" in home
    referral = Referral.objects.get()
    listing = office.get("/sales/referrals/").content.decode()
    assert "Lee Buyer" in listing and "Harbor Realty" in listing
    early = office.post("/sales/referrals/", {"action": "paid", "referral_id": str(referral.pk)},
                        follow=True)  # fmt: skip
    assert "No commission is due yet" in early.content.decode()
    assert browser.post("/partners/portal/logout/").status_code == 302
    assert browser.get("/partners/portal/").status_code == 302


def test_the_office_ties_a_move_in_the_pipeline_to_the_partner_who_sent_it(
    web_as: Any, personas: dict[str, User], opportunity: Any
) -> None:
    from simplepro.partners.services import partner_save  # noqa: PLC0415

    partner = partner_save(actor=personas["admin"], partner=None, data={
        "name": "Harbor Realty", "kind": "realtor", "commission_rate": "5"})  # fmt: skip
    sales = web_as(personas["sales"])
    page = sales.get(f"/sales/opportunities/{opportunity.pk}/").content.decode()
    assert "A partner sent them" in page and "Harbor Realty" in page
    tied = sales.post(f"/sales/opportunities/{opportunity.pk}/referral/",
                      {"partner_id": str(partner.pk)}, follow=True)  # fmt: skip
    assert 'id="referred-by"' in tied.content.decode()
    referral = Referral.objects.get()
    assert referral.opportunity_id == opportunity.pk and referral.by_user == personas["sales"]
    again = sales.post(f"/sales/opportunities/{opportunity.pk}/referral/",
                       {"partner_id": str(partner.pk)}, follow=True)  # fmt: skip
    assert "already been referred" in again.content.decode()
    # Another salesperson cannot reach the move at all.
    assert (
        web_as(personas["sales2"])
        .post(f"/sales/opportunities/{opportunity.pk}/referral/", {"partner_id": str(partner.pk)})
        .status_code
        == 404
    )
