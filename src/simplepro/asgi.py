"""ASGI entry point, served by `simplepro serve` (uvicorn): HTTP through Django, WebSockets at
`/ws/` through Channels (simplepro.realtime), in the same process."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Django first: it sets up the apps the WebSocket side imports.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver, path  # noqa: E402

from simplepro.realtime.consumers import StreamConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AuthMiddlewareStack(URLRouter([path("ws/", StreamConsumer.as_asgi())])),
    }
)

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the process: out of
# the collector's sight it stays. A full collection walked its ~230,000 objects in 120-130 ms,
# every couple of seconds under load, stalling whichever request was running (the board's
# p99 at concurrency 1: 114 ms against a p90 of 19 ms); frozen, a full collection takes ~3 ms
# (bench/README.md, "gc.freeze").
get_resolver().url_patterns  # noqa: B018 - import every view now, not on the first request
gc.collect()
gc.freeze()
