"""Who may call what: every API route against every role, compared with a table written by
hand (not derived from the permission map), so a change to the map that opens or closes a
door fails here until the table is changed on purpose.

Object routes act on a customer assigned to `sales`: `sales2` proves that a salesperson sees
only their own customers (404, as if it did not exist). Crew roles have no customer access
until jobs exist; `crew_member2` checks the two crew members are treated alike.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from simplepro.accounts.models import Company, User
from simplepro.audit.models import AuditRecord
from simplepro.core.api import api
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create
from simplepro.documents.models import Document, DocumentVersion, ShareLink
from simplepro.estimates.models import CompanyItem, Estimate, EstimateVersion, StoredRuleset
from simplepro.estimates.services import estimate_create
from simplepro.jobs.models import (
    Assignment,
    CrewMember,
    Job,
    MaintenanceWindow,
    TimeEntry,
    TimeOff,
    Truck,
)
from simplepro.messaging.models import Conversation, Message
from simplepro.notifications.models import Notification, NotificationTemplate
from simplepro.paperwork.models import BookletDelivery, ConditionNote, Signature, SigningCode
from simplepro.partners.models import Partner, PartnerAccount, Referral
from simplepro.partners.services import account_create, partner_save, referral_create
from simplepro.pricing import EstimateInput
from simplepro.pricing.defaults import default_ruleset
from simplepro.sales.models import (
    Activity,
    FollowUpRule,
    Lead,
    LeadForm,
    Opportunity,
    OpportunityEstimate,
    RuleRun,
)
from simplepro.sales.services import activity_create, opportunity_create
from tests.conftest import ApiClient, PartnerApiClient

pytestmark = pytest.mark.django_db

PERSONAS = (
    "super_admin",
    "admin",
    "manager",
    "dispatcher",
    "sales",
    "sales2",
    "customer_service",
    "crew_lead",
    "crew_member",
    "crew_member2",
    "anonymous",
    # Signed in to the partner portal: a principal of its own, which no staff route takes.
    "partner",
)

# fmt: off
# route → expected status per persona, in the PERSONAS order above.
#                                                   sa   ad   mg   di   sa   s2   cs   cl   cm   c2   anon
TABLE: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/auth/me"):                        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/auth/sessions"):                  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("DELETE", "/api/auth/sessions/{session_id}"):  (204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 401),
    ("POST", "/api/auth/logout"):                   (204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 401),
    ("POST", "/api/auth/password"):                 (422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 401),
    ("POST", "/api/auth/login"):                    (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/auth/refresh"):                  (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/auth/password-reset"):           (202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202),
    ("GET", "/api/users"):                          (200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 401),
    ("POST", "/api/users"):                         (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/users/{user_id}"):                (200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 401),
    ("PATCH", "/api/users/{user_id}"):              (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/users/{user_id}/password-reset"): (202, 202, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/company"):                        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("PATCH", "/api/company"):                      (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/company/logo"):                  (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/customers"):                      (200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 401),
    # customer service takes calls from new people (and makes leads of unknown texters)
    ("POST", "/api/customers"):                     (201, 201, 201, 403, 201, 201, 201, 403, 403, 403, 401),
    ("GET", "/api/customers/export.csv"):           (200, 200, 200, 403, 200, 200, 403, 403, 403, 403, 401),
    ("POST", "/api/customers/import"):              (201, 201, 201, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/customers/{customer_id}"):        (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("PATCH", "/api/customers/{customer_id}"):      (200, 200, 200, 403, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/customers/{customer_id}/archive"): (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/customers/{customer_id}/restore"): (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/jobs"):                          (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/jobs"):                           (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/jobs/{job_id}"):                  (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("PATCH", "/api/jobs/{job_id}"):                (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    # on hold is an office decision: a lead on the job may only move it along from the field
    ("POST", "/api/jobs/{job_id}/transition"):      (200, 200, 200, 200, 403, 404, 403, 403, 404, 404, 401),
    ("POST", "/api/jobs/{job_id}/signoffs"):        (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/jobs/{job_id}/assignments"):     (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/jobs/{job_id}/suggested-crew"):   (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/jobs/{job_id}/assign-suggested"): (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("DELETE", "/api/jobs/{job_id}/assignments/{assignment_id}"): (204, 204, 204, 204, 403, 403, 403, 403, 403, 403, 401),
    # the crew app: only a person with a crew profile booked on the job clocks in
    ("POST", "/api/jobs/{job_id}/clock-in"):        (404, 404, 404, 404, 404, 404, 404, 201, 404, 404, 401),
    ("POST", "/api/jobs/{job_id}/clock-out"):       (404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 401),
    ("GET", "/api/jobs/{job_id}/time-entries"):     (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("PATCH", "/api/time-entries/{entry_id}"):      (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/payroll"):                        (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/payroll/export.csv"):             (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/jobs/{job_id}/checklist"):       (200, 200, 200, 200, 403, 404, 403, 200, 404, 404, 401),
    ("GET", "/api/checklist-templates"):            (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("PUT", "/api/checklist-templates/{phase}"):    (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/crew-members"):                   (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/crew-members"):                  (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/crew-members/{crew_member_id}"):  (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("PATCH", "/api/crew-members/{crew_member_id}"): (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    # crew ask for their own time off (the id is the crew lead's); others' records are not found
    ("POST", "/api/crew-members/{crew_member_id}/time-off"): (201, 201, 201, 201, 403, 403, 403, 201, 404, 404, 401),
    ("GET", "/api/crew-members/{crew_member_id}/working-hours"): (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("PUT", "/api/crew-members/{crew_member_id}/working-hours"): (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/crew-members/{crew_member_id}/calendar-feed"): (201, 201, 201, 201, 404, 404, 404, 201, 404, 404, 401),
    ("DELETE", "/api/crew-members/{crew_member_id}/calendar-feed"): (204, 204, 204, 204, 404, 404, 404, 204, 404, 404, 401),
    ("GET", "/api/time-off"):                       (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/time-off/{time_off_id}/review"): (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/trucks"):                         (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/trucks"):                        (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/trucks/{truck_id}"):              (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("PATCH", "/api/trucks/{truck_id}"):            (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/trucks/{truck_id}/maintenance"): (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/dispatch/calendar"):              (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/audit"):                          (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/estimates/calculate"):           (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("POST", "/api/estimates"):                     (201, 201, 201, 403, 201, 422, 201, 403, 403, 403, 401),
    ("GET", "/api/estimates"):                      (200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/estimates/{estimate_id}"):        (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("GET", "/api/estimates/{estimate_id}/versions"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/estimates/{estimate_id}/versions"): (201, 201, 201, 403, 201, 404, 201, 403, 403, 403, 401),
    ("POST", "/api/estimates/{estimate_id}/send"):  (200, 200, 200, 403, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/estimates/{estimate_id}/accept"): (200, 200, 200, 403, 200, 404, 200, 403, 403, 403, 401),
    # accepted a moment ago, so declining is refused (409) even where permitted
    ("POST", "/api/estimates/{estimate_id}/decline"): (409, 409, 409, 403, 409, 404, 409, 403, 403, 403, 401),
    ("GET", "/api/estimates/{estimate_id}/quote.pdf"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/estimates/{estimate_id}/verify"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("GET", "/api/rulesets"):                       (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/rulesets"):                      (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/rulesets/{ruleset_id}"):          (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/rulesets/{ruleset_id}/preview"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/rulesets/{ruleset_id}/activate"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/inventory/items"):                (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/inventory/items"):               (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/inventory/templates"):            (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/inventory/totals"):              (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    # everyone has their own notification centre; the one in the ids is the crew lead's
    ("GET", "/api/notifications"):                  (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/notifications/unread-count"):     (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/notifications/{notification_id}/read"): (404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 401),
    ("POST", "/api/notifications/read-all"):        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/notifications/preferences"):      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("PUT", "/api/notifications/preferences"):      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/notifications/deliveries"):       (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    # conversations: the one in the ids is the job's thread (the sales persona's customer, led
    # by the crew lead); direct threads for all, team threads by the office, customer threads
    # by their readers, the unmatched inbox by the office (the job thread is no unmatched one)
    ("GET", "/api/messages/conversations"):         (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/messages/unread-count"):          (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/messages/conversations/direct"): (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/messages/conversations/team"):   (201, 201, 201, 201, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/messages/jobs/{job_id}"):         (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("GET", "/api/messages/customers/{customer_id}"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("GET", "/api/messages/conversations/{conversation_id}"): (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("GET", "/api/messages/conversations/{conversation_id}/messages"): (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("POST", "/api/messages/conversations/{conversation_id}/messages"): (201, 201, 201, 201, 201, 404, 201, 201, 404, 404, 401),
    ("POST", "/api/messages/conversations/{conversation_id}/read"): (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("POST", "/api/messages/conversations/{conversation_id}/attach"): (422, 422, 422, 422, 403, 403, 422, 403, 403, 403, 401),
    ("POST", "/api/messages/conversations/{conversation_id}/lead"): (422, 422, 422, 403, 403, 403, 422, 403, 403, 403, 401),
    # the public lead endpoint: no account, a form key (none here)
    ("POST", "/api/public/leads"):                  (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    ("GET", "/api/opportunities"):                  (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("POST", "/api/opportunities"):                 (201, 201, 201, 403, 201, 404, 403, 403, 403, 403, 401),
    ("GET", "/api/opportunities/board"):            (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/opportunities/close-reasons"):    (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/opportunities/{opportunity_id}"): (200, 200, 200, 403, 200, 404, 200, 403, 403, 403, 401),
    ("PATCH", "/api/opportunities/{opportunity_id}"): (200, 200, 200, 403, 200, 404, 403, 403, 403, 403, 401),
    ("POST", "/api/opportunities/{opportunity_id}/status"): (200, 200, 200, 403, 200, 404, 403, 403, 403, 403, 401),
    ("POST", "/api/opportunities/{opportunity_id}/estimates"): (200, 200, 200, 403, 200, 404, 403, 403, 403, 403, 401),
    ("GET", "/api/activities"):                     (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("POST", "/api/activities"):                    (201, 201, 201, 403, 201, 404, 201, 403, 403, 403, 401),
    ("POST", "/api/activities/{activity_id}/complete"): (200, 200, 200, 403, 200, 404, 200, 403, 403, 403, 401),
    ("GET", "/api/lead-forms"):                     (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/lead-forms"):                    (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("PATCH", "/api/lead-forms/{form_id}"):         (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/pipeline/funnel"):                (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/pipeline/leaderboard"):           (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/pipeline/value"):                 (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/pipeline/losses"):                (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("GET", "/api/partners"):                       (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("POST", "/api/partners"):                      (201, 201, 201, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/partners/{partner_id}"):          (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("PATCH", "/api/partners/{partner_id}"):        (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/partners/{partner_id}/accounts"): (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/partners/{partner_id}/accounts"): (201, 201, 201, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/referrals"):                      (200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 401),
    ("POST", "/api/referrals"):                     (201, 201, 201, 403, 201, 201, 201, 403, 403, 403, 401),
    # the referral's move is not completed: nothing to pay yet
    ("POST", "/api/referrals/{referral_id}/commission-paid"): (409, 409, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    # the partners' portal: staff (bearer tokens) are not partners
    ("POST", "/api/partner-portal/login"):          (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("GET", "/api/partner-portal/me"):              (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("GET", "/api/partner-portal/referrals"):       (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/partner-portal/referrals"):      (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/partner-portal/logout"):         (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    # documents: crew only on the jobs they are on; sharing is the office's, archiving the managers'
    ("GET", "/api/documents"):                      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/documents"):                     (201, 201, 201, 201, 201, 404, 201, 201, 404, 404, 401),
    ("GET", "/api/documents/{document_id}"):        (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("POST", "/api/documents/{document_id}/versions"): (201, 201, 201, 201, 201, 404, 201, 201, 404, 404, 401),
    ("GET", "/api/documents/{document_id}/download"): (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("GET", "/api/documents/{document_id}/share-links"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/documents/{document_id}/share-links"): (201, 201, 201, 201, 201, 404, 201, 403, 403, 403, 401),
    ("POST", "/api/documents/{document_id}/share-links/{link_id}/revoke"): (200, 200, 200, 200, 200, 404, 200, 403, 403, 403, 401),
    ("POST", "/api/documents/{document_id}/archive"): (200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401),
    # paperwork: printed by the office and the crew lead; anyone on the job notes conditions
    # and collects signatures; a signature on a version that is not the newest is refused (409)
    ("GET", "/api/paperwork/jobs/{job_id}"):        (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("POST", "/api/paperwork/jobs/{job_id}/print"): (200, 200, 200, 200, 200, 404, 200, 200, 403, 403, 401),
    ("POST", "/api/paperwork/jobs/{job_id}/conditions"): (201, 201, 201, 201, 201, 404, 201, 201, 404, 404, 401),
    ("POST", "/api/paperwork/jobs/{job_id}/booklet"): (200, 200, 200, 200, 200, 404, 200, 200, 403, 403, 401),
    ("POST", "/api/paperwork/jobs/{job_id}/paper-signoffs"): (200, 200, 200, 200, 200, 404, 200, 200, 403, 403, 401),
    ("POST", "/api/paperwork/documents/{document_id}/codes"): (202, 202, 202, 202, 202, 404, 202, 202, 404, 404, 401),
    ("POST", "/api/paperwork/documents/{document_id}/signatures"): (409, 409, 409, 409, 409, 404, 409, 409, 404, 404, 401),
    ("GET", "/api/paperwork/signatures/{signature_id}/verification"): (200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 401),
    ("GET", "/api/follow-up-rules"):                (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/follow-up-rules"):               (201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/follow-up-rules/runs"):           (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("GET", "/api/follow-up-rules/{rule_id}"):      (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("PATCH", "/api/follow-up-rules/{rule_id}"):    (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/follow-up-rules/{rule_id}/test"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    # quiet hours are each person's own; the wording is the administrators'
    ("GET", "/api/notifications/quiet-hours"):      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("PUT", "/api/notifications/quiet-hours"):      (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("DELETE", "/api/notifications/quiet-hours"):   (204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 401),
    ("GET", "/api/notifications/push-key"):         (200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/notifications/push-subscriptions"): (201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 401),
    ("POST", "/api/notifications/push-subscriptions/remove"): (204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 401),
    ("GET", "/api/notifications/templates"):        (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("PUT", "/api/notifications/templates/{event}/{channel}"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("POST", "/api/notifications/templates/{event}/{channel}/preview"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
    ("DELETE", "/api/notifications/templates/{event}/{channel}"): (200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 401),
}

# The partner persona: as anonymous on every staff route (a partner session is no staff
# sign-in), except the portal's own routes.
PARTNER = {
    ("POST", "/api/public/leads"): 403,
    ("POST", "/api/partner-portal/login"): 401,  # a wrong password, even when signed in
    ("GET", "/api/partner-portal/me"): 200,
    ("GET", "/api/partner-portal/referrals"): 200,
    ("POST", "/api/partner-portal/referrals"): 201,
    ("POST", "/api/partner-portal/logout"): 204,
}
# fmt: on


def _api_routes() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_api_route_is_in_the_table() -> None:
    routes = _api_routes()
    assert routes - TABLE.keys() == set(), "add these routes to TABLE"
    assert TABLE.keys() - routes == set(), "these routes no longer exist"


def _state(customer: Customer, target: User) -> dict[str, Any]:
    """Everything a denied request must leave untouched."""
    customer.refresh_from_db()
    target.refresh_from_db()
    return {
        "customers": Customer.objects.count(),
        "users": User.objects.count(),
        "customer": model_to_dict(customer),
        "target": model_to_dict(target, exclude=["last_login"]),
        "company": model_to_dict(Company.objects.get()),
        "audit": AuditRecord.objects.exclude(action__in=["login", "login_failed"]).count(),
        "rulesets": list(
            StoredRuleset.objects.values_list("version", "is_active").order_by("version")
        ),
        "estimates": list(Estimate.objects.values_list("pk", "status", "valid_until")),
        "estimate_versions": EstimateVersion.objects.count(),
        "company_items": CompanyItem.objects.count(),
        "jobs": list(
            Job.objects.values_list("number", "status", "notes", "signoffs").order_by("number")
        ),
        "assignments": sorted(map(str, Assignment.objects.values_list("pk", flat=True))),
        "crew": list(
            CrewMember.objects.values_list("name", "rating", "calendar_token_hash").order_by("name")
        ),
        "trucks": list(Truck.objects.values_list("name").order_by("name")),
        "time_off": list(TimeOff.objects.values_list("pk", "status").order_by("pk")),
        "maintenance": MaintenanceWindow.objects.count(),
        "time_entries": list(
            TimeEntry.objects.values_list("pk", "clock_in", "clock_out").order_by("pk")
        ),
        "notifications": list(Notification.objects.values_list("pk", "read_at").order_by("pk")),
        "templates": list(NotificationTemplate.objects.values_list("event", "channel", "text")),
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "opportunities": list(
            Opportunity.objects.values_list("pk", "status", "notes", "salesperson_id")
        ),
        "activities": list(Activity.objects.values_list("pk", "completed_at").order_by("pk")),
        "quoted": OpportunityEstimate.objects.count(),
        "lead_forms": list(LeadForm.objects.values_list("name").order_by("name")),
        "leads": Lead.objects.count(),
        "partners": list(Partner.objects.values_list("name", "notes").order_by("name")),
        "partner_accounts": PartnerAccount.objects.count(),
        "referrals": list(Referral.objects.values_list("pk", "commission_status")),
        "rules": list(FollowUpRule.objects.values_list("name", "description").order_by("name")),
        "rule_runs": RuleRun.objects.count(),
        "documents": list(
            Document.objects.values_list("pk", "archived_at", "version_count").order_by("pk")
        ),
        "document_versions": DocumentVersion.objects.count(),
        "share_links": list(ShareLink.objects.values_list("pk", "revoked_at").order_by("pk")),
        "signatures": Signature.objects.count(),
        "signing_codes": list(SigningCode.objects.values_list("pk", "used_at", "attempts")),
        "condition_notes": ConditionNote.objects.count(),
        "booklets": BookletDelivery.objects.count(),
    }


def _request(client: ApiClient, method: str, path: str, ids: dict[str, str]) -> Any:
    url = path.format(**ids)
    if path.startswith("/api/paperwork/documents/"):  # the printed one (the upload is archived)
        url = path.format(**{**ids, "document_id": ids["paper_document_id"]})
    unique = uuid.uuid4().hex[:8]
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/auth/password"): {
            "current_password": "wrong",
            "new_password": "Whatever-123-x",
        },
        ("POST", "/api/auth/login"): {"username": "nobody", "password": "wrong"},
        ("POST", "/api/auth/refresh"): {"refresh_token": "wrong"},
        ("POST", "/api/auth/password-reset"): {"email": "nobody@movers.example"},
        ("POST", "/api/users"): {
            "username": f"u{unique}",
            "email": f"u{unique}@movers.example",
            "role": "crew_member",
        },
        ("PATCH", "/api/users/{user_id}"): {"first_name": "Renamed"},
        ("PUT", "/api/notifications/preferences"): [
            {"event": "job_assigned", "channel": "email", "enabled": False}
        ],
        ("POST", "/api/messages/conversations/direct"): {"user_id": ids["user_id"]},
        ("POST", "/api/messages/conversations/team"): {"title": "Crew A", "member_ids": []},
        ("POST", "/api/messages/conversations/{conversation_id}/messages"): {"body": "On my way"},
        ("POST", "/api/messages/conversations/{conversation_id}/read"): {},
        ("POST", "/api/messages/conversations/{conversation_id}/attach"): {
            "customer_id": ids["customer_id"]
        },
        ("POST", "/api/messages/conversations/{conversation_id}/lead"): {"name": "New Lead"},
        ("POST", "/api/notifications/push-subscriptions"): {
            "endpoint": f"https://push.example/{unique}",
            "keys": {"p256dh": "BOr", "auth": "a1"},
        },
        ("POST", "/api/notifications/push-subscriptions/remove"): {
            "endpoint": "https://push.example/none"
        },
        ("PUT", "/api/notifications/quiet-hours"): {
            "start": "22:00",
            "end": "07:00",
            "time_zone": "America/New_York",
        },
        ("PUT", "/api/notifications/templates/{event}/{channel}"): {
            "subject": "Job {{ job.number }}",
            "text": "For {{ job.customer }}",
        },
        ("POST", "/api/notifications/templates/{event}/{channel}/preview"): {
            "subject": "Job {{ job.number }}",
            "text": "For {{ job.customer }}",
        },
        ("PATCH", "/api/company"): {"name": "Renamed Movers"},
        ("POST", "/api/public/leads"): {"name": "Web Lead", "email": "web@example.com"},
        ("POST", "/api/opportunities"): {"customer_id": ids["customer_id"], "move_size": "studio"},
        ("PATCH", "/api/opportunities/{opportunity_id}"): {"notes": "Gate code 1234"},
        ("POST", "/api/opportunities/{opportunity_id}/status"): {"status": "contacted"},
        ("POST", "/api/opportunities/{opportunity_id}/estimates"): {
            "estimate_id": ids["estimate_id"]
        },
        ("POST", "/api/activities"): {
            "opportunity_id": ids["opportunity_id"],
            "kind": "note",
            "subject": "Called",
        },
        ("POST", "/api/activities/{activity_id}/complete"): {"outcome": "reached"},
        ("POST", "/api/lead-forms"): {"name": f"Form {unique}"},
        ("PATCH", "/api/lead-forms/{form_id}"): {"name": "Renamed form"},
        ("POST", "/api/partners"): {
            "name": f"Partner {unique}",
            "kind": "realtor",
            "commission_rate": "5",
        },
        ("PATCH", "/api/partners/{partner_id}"): {"notes": "Renamed"},
        ("POST", "/api/partners/{partner_id}/accounts"): {
            "name": "New Person",
            "email": f"p{unique}@realty.example",
            "password": "long enough password",
        },
        ("POST", "/api/referrals"): {
            "partner_id": ids["partner_id"],
            "name": f"Ref {unique}",
            "email": f"r{unique}@example.com",
        },
        ("POST", "/api/referrals/{referral_id}/commission-paid"): {"reference": "cheque 1"},
        ("POST", "/api/partner-portal/login"): {"email": "nobody@x.example", "password": "no"},
        ("POST", "/api/partner-portal/referrals"): {
            "name": f"Portal {unique}",
            "email": f"p{unique}@example.com",
        },
        ("POST", "/api/follow-up-rules"): {
            "name": f"Rule {unique}",
            "trigger": "quote_viewed",
            "actions": [{"type": "create_activity", "kind": "call", "subject": "Call now"}],
        },
        ("PATCH", "/api/follow-up-rules/{rule_id}"): {"description": "Edited"},
        ("POST", "/api/follow-up-rules/{rule_id}/test"): {"opportunity_id": ids["opportunity_id"]},
        ("POST", "/api/customers"): {"type": "residential", "name": "New Customer"},
        ("PATCH", "/api/customers/{customer_id}"): {"notes": "changed"},
        ("POST", "/api/estimates/calculate"): {"service": "local", "move_date": "2026-10-13"},
        ("POST", "/api/inventory/totals"): {"items": [{"key": "sofa_3_seat", "quantity": 1}]},
        ("POST", "/api/estimates/{estimate_id}/accept"): {},
        ("POST", "/api/jobs"): {
            "customer_id": ids["customer_id"],
            "scheduled_start": "2027-05-03T08:00:00-04:00",
            "scheduled_end": "2027-05-03T12:00:00-04:00",
        },
        ("PATCH", "/api/jobs/{job_id}"): {"notes": "Gate code 1234"},
        ("POST", "/api/jobs/{job_id}/transition"): {"to": "on_hold", "reason": "Waiting on keys"},
        ("POST", "/api/jobs/{job_id}/signoffs"): {"name": "estimate_accepted"},
        ("POST", "/api/paperwork/jobs/{job_id}/print"): {"kind": "inventory"},
        ("POST", "/api/paperwork/jobs/{job_id}/conditions"): {"line": 0, "codes": ["SC"]},
        ("POST", "/api/paperwork/jobs/{job_id}/booklet"): {"method": "paper"},
        ("POST", "/api/paperwork/jobs/{job_id}/paper-signoffs"): {
            "name": "bill_of_lading_signed",
            "document_id": ids["scan_id"],
        },
        ("POST", "/api/paperwork/documents/{document_id}/codes"): {"channel": "email"},
        ("POST", "/api/paperwork/documents/{document_id}/signatures"): {
            "version": 99,
            "signer_name": "Owned By Sales",
            "consent": True,
            "code": "000000",
            "method": "typed",
            "typed_name": "Owned By Sales",
        },
        ("POST", "/api/jobs/{job_id}/assignments"): {"truck_id": ids["truck_id"]},
        ("POST", "/api/crew-members"): {"name": f"New {unique}", "skills": ["packer"]},
        ("PATCH", "/api/crew-members/{crew_member_id}"): {"rating": "4.5"},
        ("POST", "/api/crew-members/{crew_member_id}/time-off"): {
            "start": "2027-07-01T00:00:00-04:00",
            "end": "2027-07-02T00:00:00-04:00",
        },
        ("POST", "/api/time-off/{time_off_id}/review"): {"approve": False},
        ("POST", "/api/jobs/{job_id}/checklist"): {"index": 0, "done": True},
        ("PUT", "/api/checklist-templates/{phase}"): {"items": ["Photograph the piano"]},
        ("PUT", "/api/crew-members/{crew_member_id}/working-hours"): {
            "days": [{"weekday": 0, "start": "08:00", "end": "16:00"}]
        },
        ("PATCH", "/api/time-entries/{entry_id}"): {
            "clock_in": "2027-03-02T08:00:00-05:00",
            "clock_out": "2027-03-02T12:00:00-05:00",
            "reason": "Forgot to clock out",
        },
        ("POST", "/api/trucks"): {
            "name": f"Truck {unique}",
            "capacity_cuft": 900,
            "license_plate": "X",
        },
        ("PATCH", "/api/trucks/{truck_id}"): {"name": "Renamed truck"},
        ("POST", "/api/trucks/{truck_id}/maintenance"): {
            "start": "2027-08-01T08:00:00-04:00",
            "end": "2027-08-01T17:00:00-04:00",
        },
        ("POST", "/api/estimates/{estimate_id}/decline"): {"note": "Chose another mover"},
        ("POST", "/api/documents/{document_id}/share-links"): {"days": 3},
        ("POST", "/api/estimates/{estimate_id}/versions"): {
            "input": {"service": "local", "move_date": "2026-10-13", "crew_size": 3}
        },
    }
    files: dict[tuple[str, str], Any] = {
        ("POST", "/api/company/logo"): {
            "logo": SimpleUploadedFile("l.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png")
        },
        ("POST", "/api/customers/import"): {
            "file": SimpleUploadedFile("c.csv", b"type,name\nresidential,Imported\n", "text/csv")
        },
        ("POST", "/api/documents"): {
            "file": SimpleUploadedFile("bol.pdf", b"%PDF-1.7 bill of lading"),
            "kind": "photo",
            "job_id": ids["job_id"],
        },
        ("POST", "/api/documents/{document_id}/versions"): {
            "file": SimpleUploadedFile("bol2.pdf", b"%PDF-1.7 bill of lading, corrected")
        },
    }
    key = (method, path)
    if key == ("GET", "/api/dispatch/calendar"):
        url += "?start=2027-03-01&end=2027-03-08"
    if key[1].startswith("/api/payroll"):
        url += "?start=2027-03-01&end=2027-03-08"
    if key == ("POST", "/api/rulesets"):
        bodies[key] = {
            "content": {**default_ruleset().model_dump(mode="json"), "version": f"t{unique}"}
        }
    if key == ("POST", "/api/inventory/items"):
        bodies[key] = {
            "key": f"rack_{unique}",
            "name": "Server rack",
            "room": "office",
            "category": "equipment",
            "cubic_feet": "40",
            "weight_lb": "600",
            "flags": ["bulky", "crating"],
        }
    if key == ("POST", "/api/estimates"):
        bodies[key] = {
            "customer_id": ids["customer_id"],
            "input": {"service": "local", "move_date": "2026-10-13"},
        }
    if key in files:
        return client.post(url, files[key])
    body = bodies.get(key)
    if body is None:
        return client.generic(method, url)
    return client.generic(
        method, url, data=__import__("json").dumps(body), content_type="application/json"
    )


def _jobs_setup(
    owner: User, customer: Customer, personas: dict[str, User]
) -> tuple[Job, dict[str, str]]:
    """A job of the sales persona's customer, led by the crew lead; another crew member, a
    truck, a time-off request."""
    from simplepro.jobs.services import assignment_create, job_create

    start = datetime.datetime(2027, 3, 2, 13, 0, tzinfo=datetime.UTC)
    job = job_create(
        actor=owner,
        customer=customer,
        data={"scheduled_start": start, "scheduled_end": start + datetime.timedelta(hours=6),
              "inventory": [{"key": "sofa", "name": "Sofa", "quantity": 1}]},
    )  # fmt: skip
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    CrewMember.objects.create(name="Other Person", user=personas["crew_member"])
    lead_assignment = assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
    truck = Truck.objects.create(name="Box truck", capacity_cuft=1500, license_plate="MA 9")
    time_off = TimeOff.objects.create(
        crew_member=lead,
        start=start + datetime.timedelta(days=30),
        end=start + datetime.timedelta(days=31),
    )
    entry = TimeEntry.objects.create(
        job=job, crew_member=lead, clock_in=start, clock_out=start + datetime.timedelta(hours=3)
    )
    from simplepro.documents.services import document_upload, share_link_create

    document = document_upload(actor=owner, customer=customer, job=job, kind="bill_of_lading",
                               upload=SimpleUploadedFile("bol.pdf", b"%PDF-1.7 the BOL"))  # fmt: skip
    link, _ = share_link_create(actor=owner, document=document)
    signature = _signed(owner, job)
    scan = document_upload(actor=owner, customer=customer, job=job, kind="bill_of_lading",
                           upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.7 signed on paper"))  # fmt: skip
    return job, {
        "signature_id": str(signature.pk),
        "paper_document_id": str(signature.document_id),
        "scan_id": str(scan.pk),
        "document_id": str(document.pk),
        "link_id": str(link.pk),
        "entry_id": str(entry.pk),
        "crew_member_id": str(lead.pk),
        "truck_id": str(truck.pk),
        "time_off_id": str(time_off.pk),
        "assignment_id": str(lead_assignment.pk),
        "notification_id": str(Notification.objects.get(recipient=personas["crew_lead"]).pk),
        "conversation_id": str(Conversation.objects.create(kind="job", job=job).pk),
    }


def _signed(owner: User, job: Job) -> Any:
    """The job's valuation election, printed and signed by its customer (code by e-mail)."""
    from django.core import mail

    from simplepro.paperwork import signing
    from simplepro.paperwork.services import paperwork_print

    version = paperwork_print(actor=owner, job=job, kind="valuation")
    signing.signing_code_send(actor=owner, document=version.document, channel="email")
    code = __import__("re").search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    return signing.signature_take(
        actor=owner, document=version.document, ip="203.0.113.1", user_agent="test",
        signing=signing.Signing(version_number=1, signer_name="Owned By Sales", consent=True,
                                code=code, method="typed", typed_name="Owned By Sales"),
    )  # fmt: skip


PARTNER_EMAIL, PARTNER_PASSWORD = "rita@realty.example", "correct horse battery"


def _partner_setup(owner: User) -> dict[str, str]:
    """A partner with a portal account, and a referral of theirs not completed yet."""
    partner = partner_save(actor=owner, partner=None, data={
        "name": "Realty One", "kind": "realtor", "commission_rate": "5"})  # fmt: skip
    account_create(actor=owner, partner=partner, name="Rita", email=PARTNER_EMAIL,
                   password=PARTNER_PASSWORD)  # fmt: skip
    referral = referral_create(
        partner=partner, fields={"name": "Referred Person", "phone": "617-555-0100"}, actor=owner
    )
    return {"partner_id": str(partner.pk), "referral_id": str(referral.pk)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_table(
    persona: str, personas: dict[str, User], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    owner = personas["super_admin"]
    customer = customer_create(
        actor=owner,
        data={
            "type": "residential",
            "name": "Owned By Sales",
            "emails": ["owned@example.com"],
            "assigned_salesperson_id": personas["sales"].pk,
        },
    )
    target = User.objects.create_user(
        username="target", email="target@movers.example", role="crew_member"
    )
    estimate = estimate_create(
        actor=owner,
        customer=customer,
        estimate_input=EstimateInput(service="local", move_date=datetime.date(2026, 10, 13)),
    )
    job, people = _jobs_setup(owner, customer, personas)
    # made after the estimate, so the estimate is not quoted for it yet
    opportunity = opportunity_create(actor=owner, customer=customer, data={})
    activity = activity_create(
        actor=owner, opportunity=opportunity, data={"kind": "call", "subject": "Call back"}
    )
    lead_form = LeadForm.objects.create(name="Website")
    people = {**people, "opportunity_id": str(opportunity.pk), "activity_id": str(activity.pk),
              "form_id": str(lead_form.pk),
              "rule_id": str(FollowUpRule.objects.get(key="website-lead-call").pk),
              **_partner_setup(owner)}  # fmt: skip
    column = PERSONAS.index(persona)
    failures = []
    for (method, path), expected_row in TABLE.items():
        expected = expected_row[column] if persona != "partner" else PARTNER.get(
            (method, path), expected_row[PERSONAS.index("anonymous")])  # fmt: skip
        if persona == "partner":
            client = PartnerApiClient(PARTNER_EMAIL, PARTNER_PASSWORD)
        else:
            client = ApiClient(personas[persona]) if persona != "anonymous" else ApiClient()
        ids = {
            "customer_id": str(customer.pk),
            "user_id": str(target.pk),
            "estimate_id": str(estimate.pk),
            "ruleset_id": str(StoredRuleset.objects.get(is_active=True).pk),
            "session_id": str(getattr(client, "session_id", uuid.uuid4())),
            "job_id": str(job.pk),
            "phase": "on_site",
            "event": "job_assigned",
            "channel": "email",
            **people,
        }
        if method == "POST" and path.endswith("/restore"):
            Customer.objects.filter(pk=customer.pk).update(archived_at="2026-01-01T00:00:00Z")
        before = _state(customer, target)
        response = _request(client, method, path, ids)
        if response.status_code != expected:
            failures.append(f"{method} {path}: expected {expected}, got {response.status_code}")
        elif (
            expected in (401, 403, 404)
            and method != "GET"
            and path not in {"/api/auth/login", "/api/auth/refresh"}
        ) and _state(customer, target) != before:
            failures.append(f"{method} {path}: denied with {expected} but something changed")
        Customer.objects.filter(pk=customer.pk).update(archived_at=None)
    assert failures == []
