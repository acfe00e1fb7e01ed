from django.urls import path

from simplepro.estimates import views

urlpatterns = [
    path("", views.EstimateListView.as_view(), name="estimate-list"),
    path("new/", views.EstimateBuilderView.as_view(), name="estimate-create"),
    path("builder/preview/", views.BuilderPreviewView.as_view(), name="estimate-preview"),
    path("builder/room/", views.BuilderRoomView.as_view(), name="estimate-room"),
    path("<uuid:estimate_id>/", views.EstimateDetailView.as_view(), name="estimate-detail"),
    path("<uuid:estimate_id>/edit/", views.EstimateBuilderView.as_view(), name="estimate-edit"),
    path("<uuid:estimate_id>/quote/", views.EstimateQuoteView.as_view(), name="estimate-quote"),
    path(
        "<uuid:estimate_id>/<str:action>/",
        views.EstimateActionView.as_view(),
        name="estimate-action",
    ),
]
