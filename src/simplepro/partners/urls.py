from django.urls import path

from simplepro.partners import views

# The office's pages, under /sales/.
office = [
    path("partners/", views.PartnerListView.as_view(), name="partner-list"),
    path("partners/<uuid:partner_id>/", views.PartnerDetailView.as_view(), name="partner-detail"),
    path("referrals/", views.ReferralListView.as_view(), name="referral-list"),
    path(
        "opportunities/<uuid:opportunity_id>/referral/",
        views.referral_attach_view,
        name="opportunity-referral",
    ),
]

# The partners' own portal, under /partners/portal/.
portal = [
    path("", views.portal_home, name="partner-portal"),
    path("login/", views.portal_login, name="partner-portal-login"),
    path("logout/", views.portal_logout, name="partner-portal-logout"),
    path("refer/", views.portal_refer, name="partner-portal-refer"),
]
