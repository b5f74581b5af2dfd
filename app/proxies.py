"""The client address of a request: the socket peer, or what trusted proxies say it is.

This is the one place forwarded headers are read (`peer-ce serve` runs uvicorn with
`proxy_headers=False`). A request whose socket peer is one of the configured trusted proxies
has its client taken from `X-Forwarded-For`: the right-most address there that is not itself a
trusted proxy (each proxy appends the address it saw, so everything to the left of the first
untrusted address may have been written by the client). Any other request's client is its socket
peer, whatever it sends: with no trusted proxies configured (the default), even a loopback peer
cannot choose its address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> IPAddress | None:
    """An address as proxies write it (`203.0.113.7`, `203.0.113.7:5555`, `[2001:db8::1]:443`), or None.

    IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`) are the IPv4 address they carry.
    """
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """Resolves client addresses given the IPs and networks of the trusted proxies."""

    def __init__(self, trusted: Iterable[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted)

    def is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def client_of(self, scope: Any) -> str:
        """The client address of an ASGI request scope (canonical text form; `unknown` without a peer)."""
        peer = scope.get("client")
        if not peer or not peer[0]:
            return "unknown"
        peer_ip = parse_ip(peer[0])
        if peer_ip is None:  # not an IP (a Unix socket, a test transport): the peer as it is named
            return str(peer[0])
        if not self.networks or not self.is_trusted(peer_ip):
            return str(peer_ip)
        headers = scope.get("headers") or ()
        forwarded = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
        nearest = peer_ip  # the closest hop known to be genuine so far
        for entry in reversed(",".join(forwarded).split(",")):
            if not entry.strip():
                continue
            address = parse_ip(entry)
            if address is None:  # no trusted proxy wrote that: stop at the last hop we can vouch for
                return str(nearest)
            if not self.is_trusted(address):
                return str(address)
            nearest = address
        return str(nearest)  # every hop is a trusted proxy (or there was no header): the furthest one


def client_address(request: Request) -> str:
    """The client address of a request, by the app's configured trusted proxies."""
    return request.app.state.trusted_proxies.client_of(request.scope)
