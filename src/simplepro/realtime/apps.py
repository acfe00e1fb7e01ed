from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The WebSocket endpoint (`/ws/`): each signed-in person's stream of events, resumable."""

    name = "simplepro.realtime"
    label = "realtime"
