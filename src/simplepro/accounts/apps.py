from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "simplepro.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Cache coherence, not a domain side effect (STYLE.md): a user saved by any path (a
        # service, the shell, a migration) must not stay cached with their old role or
        # active flag.
        post_save.connect(_user_saved, sender="accounts.User", dispatch_uid="auth-cache")


def _user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from simplepro.accounts.session_cache import user_sessions_forget  # noqa: PLC0415

    fields = kwargs.get("update_fields")
    if kwargs.get("created") or (fields is not None and set(fields) == {"last_login"}):
        return  # nothing cached yet; a sign-in's time changes nobody's standing
    user_sessions_forget(instance.pk)
