"""ASGI entry point, served by `simplepro serve` (uvicorn): HTTP through Django, WebSockets at
`/ws/` through Channels (simplepro.realtime), in the same process."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Django first: it sets up the apps the WebSocket side imports.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from simplepro.realtime.consumers import StreamConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AuthMiddlewareStack(URLRouter([path("ws/", StreamConsumer.as_asgi())])),
    }
)
