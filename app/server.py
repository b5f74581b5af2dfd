"""How `peer-ce serve` runs uvicorn: a request-head limit and no forwarded headers."""

from __future__ import annotations

from typing import Any

from app.config import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run options beyond the app, host, port and workers.

    - `proxy_headers=False`: uvicorn never rewrites the client from X-Forwarded-For (by default it
      trusts loopback peers); `app.proxies` reads it, from PEER_CE_TRUSTED_PROXIES only.
    - The request head is limited to PEER_CE_MAX_HEADER_BYTES: with httptools, by our protocol, which
      answers 431 (`app.headlimit`); without it, by h11's limit on an incomplete event (uvicorn answers 400).
    """
    options: dict[str, Any] = {
        "proxy_headers": False,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
    try:
        from app.headlimit import HeadLimitedHttpToolsProtocol
    except ImportError:  # httptools is not installed: uvicorn's pure-Python h11 protocol
        options["http"] = "h11"
    else:
        options["http"] = HeadLimitedHttpToolsProtocol
    return options
