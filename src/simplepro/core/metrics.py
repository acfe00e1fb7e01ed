"""Prometheus metrics. Under `simplepro serve` every worker writes to PROMETHEUS_MULTIPROC_DIR
(set by the serve command before workers start), so /metrics sums all workers."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from simplepro import __version__
from simplepro.core.scrape import SCRAPE_TIME_COLLECTORS

HTTP_REQUESTS = Counter(
    "simplepro_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "simplepro_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_IN_FLIGHT = Gauge(
    "simplepro_http_requests_in_flight",
    "Requests being served now.",
    multiprocess_mode="livesum",
)
BUILD_INFO = Gauge(
    "simplepro_build_info",
    "Always 1; labels carry the running version.",
    ["version"],
    multiprocess_mode="max",
)
BUILD_INFO.labels(version=__version__).set(1)

CUSTOMERS_CREATED = Counter("simplepro_customers_created_total", "Customers created.")
LEADS = Counter(
    "simplepro_leads_total",
    "Leads that reached the public lead endpoint, by outcome (received, duplicate, honeypot, "
    "rate_limited, bad_key, origin_refused, challenge_failed, invalid).",
    ["outcome"],
)
OPPORTUNITIES_CREATED = Counter(
    "simplepro_opportunities_created_total", "Opportunities created, by lead source.", ["source"]
)
OPPORTUNITY_MOVES = Counter(
    "simplepro_opportunity_moves_total",
    "Opportunities moved along the pipeline, by status.",
    ["to"],
)
RULE_RUNS = Counter(
    "simplepro_follow_up_rule_runs_total",
    "Follow-up rules run for an event, by rule (its key; custom for the company's own) and "
    "whether its conditions held.",
    ["rule", "matched"],
)
RULE_STEPS = Counter(
    "simplepro_follow_up_steps_total",
    "Follow-up rule actions carried out, by action and what became of them (done, skipped, "
    "failed).",
    ["action", "status"],
)
ESTIMATES_CREATED = Counter("simplepro_estimates_created_total", "Estimates saved.")
JOBS_CREATED = Counter("simplepro_jobs_created_total", "Jobs created.")
JOB_TRANSITIONS = Counter(
    "simplepro_job_transitions_total", "Job status changes, by the status reached.", ["to"]
)
QUOTES_SENT = Counter("simplepro_quotes_sent_total", "Quotes e-mailed to customers.")
DOCUMENT_FILE_FAILURES = Counter(
    "simplepro_document_file_failures_total",
    "Document downloads refused because the stored file is missing or no longer matches its "
    "SHA-256, by reason (missing, mismatch).",
    ["reason"],
)
DOCUMENT_BYTES = Counter(
    "simplepro_document_bytes_total",
    "Bytes of documents uploaded and downloaded, by direction (upload, download).",
    ["direction"],
)
QUOTE_FAILURES = Counter(
    "simplepro_quote_failures_total",
    "Quotes not sent or not served, by reason (email, file_mismatch).",
    ["reason"],
)
USERS_CREATED = Counter("simplepro_users_created_total", "Users created.")
LOGINS = Counter("simplepro_logins_total", "Login attempts by outcome.", ["outcome"])
RATE_LIMITED = Counter(
    "simplepro_rate_limited_total", "Requests refused with 429, by limiter.", ["limiter"]
)

REALTIME_EVENTS = Counter(
    "simplepro_realtime_events_total",
    "Real-time events by kind and outcome (published: per recipient; outbox_failed).",
    ["kind", "outcome"],
)
REALTIME_LAYER_FAILURES = Counter(
    "simplepro_realtime_layer_failures_total",
    "Channel-layer sends that failed (clients catch up from the outbox).",
)
REALTIME_CONNECTIONS = Gauge(
    "simplepro_realtime_connections",
    "Open WebSocket connections.",
    multiprocess_mode="livesum",
)
REALTIME_FRAMES_REFUSED = Counter(
    "simplepro_realtime_frames_refused_total",
    "Client frames answered with an error frame, by reason.",
    ["reason"],
)

NOTIFICATION_DELIVERIES = Counter(
    "simplepro_notification_deliveries_total",
    "Notification deliveries outside the app by channel and outcome (sent, retried, deferred, "
    "failed; SMS also delivered).",
    ["channel", "outcome"],
)
WEBHOOKS_REFUSED = Counter(
    "simplepro_webhooks_refused_total",
    "Provider webhook requests refused for a bad or missing signature, by provider.",
    ["provider"],
)


def render() -> tuple[bytes, str]:
    """The exposition text for this process, or for all workers in multi-process mode, plus
    the scrape-time collectors."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    shared = CollectorRegistry()
    for collector in SCRAPE_TIME_COLLECTORS:
        shared.register(collector)
    return body + generate_latest(shared), CONTENT_TYPE_LATEST
