from __future__ import annotations

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from simplepro import dashboard
from simplepro.accounts.api import auth_router, company_router, users_router
from simplepro.audit.api import router as audit_router
from simplepro.core.api import api
from simplepro.customers.api import router as customers_router
from simplepro.documents import api as documents_api
from simplepro.documents import views as documents_views
from simplepro.estimates import ruleset_views
from simplepro.estimates import views as estimate_views
from simplepro.estimates.api import estimates_router, inventory_router
from simplepro.estimates.rulesets_api import router as rulesets_router
from simplepro.jobs import api as jobs_api
from simplepro.jobs import crew_api
from simplepro.jobs import views as jobs_views
from simplepro.messaging import unsubscribe as messaging_unsubscribe
from simplepro.messaging import webhooks as messaging_webhooks
from simplepro.messaging.api import router as messages_router
from simplepro.notifications import views as notification_views
from simplepro.notifications import webhooks as notification_webhooks
from simplepro.notifications.api import router as notifications_router
from simplepro.paperwork import urls as paperwork_urls
from simplepro.paperwork.api import router as paperwork_router
from simplepro.partners import api as partners_api
from simplepro.partners import urls as partner_urls
from simplepro.sales import api as sales_api
from simplepro.sales import funnel_api as sales_funnel_api
from simplepro.sales import public_views as sales_public
from simplepro.sales import rules_api as sales_rules_api

api.add_router("/auth", auth_router)
api.add_router("/users", users_router)
api.add_router("/company", company_router)
api.add_router("/customers", customers_router)
api.add_router("/audit", audit_router)
api.add_router("/estimates", estimates_router)
api.add_router("/inventory", inventory_router)
api.add_router("/rulesets", rulesets_router)
api.add_router("/jobs", jobs_api.jobs_router)
api.add_router("/crew-members", crew_api.crew_router)
api.add_router("/trucks", crew_api.trucks_router)
api.add_router("/time-off", crew_api.time_off_router)
api.add_router("/dispatch", jobs_api.dispatch_router)
api.add_router("/time-entries", jobs_api.time_entries_router)
api.add_router("/payroll", jobs_api.payroll_router)
api.add_router("/checklist-templates", jobs_api.checklist_router)
api.add_router("/notifications", notifications_router)
api.add_router("/messages", messages_router)
api.add_router("/public", sales_api.public_router)
api.add_router("/opportunities", sales_api.opportunities_router)
api.add_router("/activities", sales_api.activities_router)
api.add_router("/lead-forms", sales_api.lead_forms_router)
api.add_router("/follow-up-rules", sales_rules_api.router)
api.add_router("/pipeline", sales_funnel_api.router)
api.add_router("/partners", partners_api.partners_router)
api.add_router("/referrals", partners_api.referrals_router)
api.add_router("/partner-portal", partners_api.portal_router)
api.add_router("/documents", documents_api.documents_router)
api.add_router("/paperwork", paperwork_router)

urlpatterns = [
    path("api/", api.urls),
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    path("", include("simplepro.accounts.urls")),
    path("customers/", include("simplepro.customers.urls")),
    path("ops/", include("simplepro.ops.urls")),
    path("notifications/", include("simplepro.notifications.urls")),
    path("messages/", include("simplepro.messaging.urls")),
    path("sales/", include("simplepro.sales.urls")),
    path("sales/", include(partner_urls.office)),
    path("partners/portal/", include(partner_urls.portal)),
    path("f/<str:public_key>/", sales_public.lead_form_page, name="lead-form-page"),
    path("estimates/", include("simplepro.estimates.urls")),
    path("documents/", include("simplepro.documents.urls")),
    path("s/<str:token>/", documents_views.share_public, name="document-share"),
    path("q/<str:token>/", estimate_views.quote_public, name="quote-public"),
    path("q/<str:token>/pdf/", estimate_views.quote_public_pdf, name="quote-public-pdf"),
    path("q/<str:token>/decide/", estimate_views.quote_public_decide, name="quote-public-decide"),
    path("u/<str:token>/", messaging_unsubscribe.unsubscribe, name="unsubscribe"),
    path("sw.js", notification_views.service_worker, name="service-worker"),
    path("webhooks/twilio/status", notification_webhooks.twilio_status, name="twilio-status"),
    path("webhooks/twilio/sms", messaging_webhooks.twilio_inbound, name="twilio-inbound"),
    path(
        "webhooks/twilio/message-status",
        messaging_webhooks.twilio_message_status,
        name="twilio-message-status",
    ),
    path("ical/<str:token>.ics", jobs_views.calendar_feed, name="calendar-feed"),
    path("dispatch/", jobs_views.DispatchBoardView.as_view(), name="dispatch-board"),
    path("dispatch/move/", jobs_views.DispatchMoveView.as_view(), name="dispatch-move"),
    path("jobs/<uuid:job_id>/", jobs_views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<uuid:job_id>/paperwork/", include(paperwork_urls.job_urls)),
    path("paperwork/", include("simplepro.paperwork.urls")),
    path("jobs/<uuid:job_id>/<str:action>/", jobs_views.JobActionView.as_view(), name="job-action"),
    path("my-jobs/", jobs_views.MyJobsView.as_view(), name="my-jobs"),
    path("my-jobs/time-off/", jobs_views.TimeOffRequestView.as_view(), name="time-off-request"),
    path("dispatch/time-off/", jobs_views.TimeOffReviewView.as_view(), name="time-off-review"),
    path(
        "company/checklists/",
        jobs_views.ChecklistTemplatesView.as_view(),
        name="checklist-templates",
    ),
    path(
        "jobs/from-estimate/<uuid:estimate_id>/",
        jobs_views.JobFromEstimateView.as_view(),
        name="job-from-estimate",
    ),
    path("pricing/", ruleset_views.RulesetListView.as_view(), name="ruleset-list"),
    path(
        "pricing/<uuid:ruleset_id>/",
        ruleset_views.RulesetDetailView.as_view(),
        name="ruleset-detail",
    ),
]

if not settings.PRODUCTION:
    # Embedded mode serves uploads itself; production serves them from S3 or nginx.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
