from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """What SimplePro tells people: the in-app notification centre (the bell)."""

    name = "simplepro.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
