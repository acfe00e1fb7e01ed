from django.urls import path

from simplepro.customers import views

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer-list"),
    path("new/", views.CustomerCreateView.as_view(), name="customer-create"),
    path("<uuid:customer_id>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("<uuid:customer_id>/edit/", views.CustomerEditView.as_view(), name="customer-edit"),
    path(
        "<uuid:customer_id>/archive/", views.CustomerArchiveView.as_view(), name="customer-archive"
    ),
]
