from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The sales pipeline: leads from the website and the phone, opportunities, activities
    and follow-ups, and the funnel they make."""

    name = "simplepro.sales"
    label = "sales"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Quotes and jobs move opportunities along: listen to the estimates' and jobs' events.
        from corsheaders.signals import check_request_enabled

        from simplepro.sales import listeners  # noqa: F401
        from simplepro.sales.cors import lead_origin_allowed

        check_request_enabled.connect(lead_origin_allowed, dispatch_uid="sales-lead-origins")
