from django.urls import path

from simplepro.sales import funnel_views, rules_views, views

urlpatterns = [
    path("", views.PipelineBoardView.as_view(), name="pipeline-board"),
    path("list/", views.OpportunityListView.as_view(), name="opportunity-list"),
    path("my-day/", views.MyDayView.as_view(), name="my-day"),
    path("new-lead/", views.LeadIntakeView.as_view(), name="lead-intake"),
    path("forms/", views.LeadFormListView.as_view(), name="lead-forms"),
    path("opportunities/<uuid:opportunity_id>/", views.OpportunityDetailView.as_view(),
         name="opportunity-detail"),
    path("opportunities/<uuid:opportunity_id>/status/", views.OpportunityStatusView.as_view(),
         name="opportunity-status"),
    path("opportunities/<uuid:opportunity_id>/edit/", views.OpportunityEditView.as_view(),
         name="opportunity-edit"),
    path("opportunities/<uuid:opportunity_id>/activity/", views.ActivityLogView.as_view(),
         name="activity-log"),
    path("opportunities/<uuid:opportunity_id>/estimates/", views.EstimateLinkView.as_view(),
         name="opportunity-estimate-link"),
    path("figures/", funnel_views.FunnelView.as_view(), name="sales-figures"),
    path("rules/", rules_views.RuleListView.as_view(), name="follow-up-rules"),
    path("rules/new/", rules_views.RuleEditView.as_view(), name="follow-up-rule-new"),
    path("rules/<uuid:rule_id>/", rules_views.RuleEditView.as_view(), name="follow-up-rule"),
    path("activities/<uuid:activity_id>/complete/", views.ActivityCompleteView.as_view(),
         name="activity-complete"),
]  # fmt: skip
