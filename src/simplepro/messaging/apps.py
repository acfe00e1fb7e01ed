from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Conversations: staff with staff, and the office with customers (SMS and e-mail)."""

    name = "simplepro.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the typing and presence frames, and the customer messages on job changes.
        from simplepro.messaging import automatic, live  # noqa: F401
