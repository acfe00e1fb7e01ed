from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Conversations: staff with staff, and the office with customers (SMS and e-mail)."""

    name = "simplepro.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simplepro.messaging import live  # noqa: F401  (registers the typing and presence frames)
