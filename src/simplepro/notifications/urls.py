from django.urls import path

from simplepro.notifications import template_views, views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("push/", views.PushDeviceView.as_view(), name="notification-push"),
    path("quiet-hours/", views.QuietHoursView.as_view(), name="notification-quiet-hours"),
    path("templates/", template_views.TemplateListView.as_view(), name="notification-templates"),
    path(
        "templates/<str:event>/<str:channel>/",
        template_views.TemplateEditView.as_view(),
        name="notification-template",
    ),
    path("deliveries/", views.DeliveryLogView.as_view(), name="notification-deliveries"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path(
        "<int:notification_id>/open/",
        views.NotificationOpenView.as_view(),
        name="notification-open",
    ),
]
