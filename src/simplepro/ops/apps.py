from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "simplepro.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from simplepro.core import queue
        from simplepro.core.scrape import SCRAPE_TIME_COLLECTORS
        from simplepro.ops import recording
        from simplepro.ops.backup.metrics import BackupCollector
        from simplepro.ops.metrics import TaskCollector

        recording.connect(queue.huey)
        SCRAPE_TIME_COLLECTORS.extend([TaskCollector(), BackupCollector()])
        # Every app's tasks.py registers its tasks on the one queue.
        autodiscover_modules("tasks")
