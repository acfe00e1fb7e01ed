"""The client's IP address. X-Forwarded-For is believed only when the direct peer is one of
SIMPLEPRO_TRUSTED_PROXIES; otherwise any client could pick its own rate-limit identity."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=1)
def _trusted_networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    cached = getattr(request, "_simplepro_client_ip", None)
    if cached:
        return str(cached)
    peer = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a value, not a bind
    address = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_trusted(peer):
        # Walk from the right: the first hop that is not one of our proxies is the client.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            address = hop
            if not _is_trusted(hop):
                break
    request._simplepro_client_ip = address  # type: ignore[attr-defined]
    return address
