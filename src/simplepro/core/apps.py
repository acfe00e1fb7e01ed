from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "simplepro.core"
    label = "core"
    verbose_name = "SimplePro core"

    def ready(self) -> None:
        from simplepro.core import checks  # noqa: F401 - registers the system checks
