"""ASGI entry point, served by `simplepro serve` (uvicorn)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
