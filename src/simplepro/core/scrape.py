"""Collectors that read shared state at scrape time (e.g. the task queue's records in the
database), added by the apps that own that state in AppConfig.ready and rendered by /metrics.

Kept apart from simplepro.core.metrics so registering one does not create this process's
metric files (the serve supervisor and one-shot commands never serve /metrics)."""

from __future__ import annotations

from prometheus_client.registry import Collector

SCRAPE_TIME_COLLECTORS: list[Collector] = []
