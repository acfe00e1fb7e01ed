from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Referral partners (realtors, property managers, relocation firms…), the referrals
    they send, their commissions, and their own portal."""

    name = "simplepro.partners"
    label = "partners"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A referral follows its opportunity, and its commission is worked out when the job
        # is completed: listen to the pipeline's and the jobs' events.
        from simplepro.partners import listeners  # noqa: F401
