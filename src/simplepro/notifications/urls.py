from django.urls import path

from simplepro.notifications import views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification-list"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path(
        "<int:notification_id>/open/",
        views.NotificationOpenView.as_view(),
        name="notification-open",
    ),
]
