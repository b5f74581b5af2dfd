"""Who the client is: the socket peer, unless a trusted proxy says otherwise in X-Forwarded-For."""

from __future__ import annotations

import pytest

from app.proxies import TrustedProxies


def scope(peer: str | None, *forwarded: str) -> dict:
    return {
        "client": (peer, 5000) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


LB = TrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(
    ("request_scope", "client"),
    [
        # no proxy is trusted by default: loopback peers too are who they are
        (scope("127.0.0.1", "203.0.113.9"), "127.0.0.1"),
        # an untrusted peer cannot choose, whatever it forwards
        (scope("198.51.100.4", "203.0.113.9"), "198.51.100.4"),
    ],
)
def test_without_trusted_proxies_the_peer_is_the_client(request_scope, client):
    assert TrustedProxies([]).client_of(request_scope) == client
    assert LB.client_of(request_scope) == client


@pytest.mark.parametrize(
    ("request_scope", "client"),
    [
        (scope("10.1.2.3", "203.0.113.9"), "203.0.113.9"),
        # what the client wrote itself sits to the left of what our proxy appended
        (scope("10.1.2.3", "1.1.1.1, 203.0.113.9"), "203.0.113.9"),
        # a chain of trusted proxies is walked from the right
        (scope("10.1.2.3", "203.0.113.9, 10.9.9.9"), "203.0.113.9"),
        # several header lines are one list, in order
        (scope("10.1.2.3", "1.1.1.1", "203.0.113.9, 10.9.9.9"), "203.0.113.9"),
        # ports and brackets as some proxies write them; IPv4-mapped IPv6 is IPv4
        (scope("10.1.2.3", "203.0.113.9:4711"), "203.0.113.9"),
        (scope("10.1.2.3", "[2001:db8:1::7]:443"), "2001:db8:1::7"),
        (scope("2001:db8:ffff::1", "::ffff:203.0.113.9"), "203.0.113.9"),
        # garbage stops the walk at the nearest hop we can vouch for, never a client-chosen string
        (scope("10.1.2.3", "203.0.113.9, not-an-ip"), "10.1.2.3"),
        (scope("10.1.2.3", "203.0.113.9, 10.9.9.9, bogus"), "10.1.2.3"),
        # no header, or only trusted hops: the furthest trusted address
        (scope("10.1.2.3"), "10.1.2.3"),
        (scope("10.1.2.3", "10.7.7.7, 10.8.8.8"), "10.7.7.7"),
    ],
)
def test_behind_trusted_proxies_the_right_most_untrusted_forwarded_address_is_the_client(request_scope, client):
    assert LB.client_of(request_scope) == client


def test_peers_that_are_not_ip_addresses_are_named_as_they_are():
    assert LB.client_of(scope(None)) == "unknown"
    assert LB.client_of({"client": ("testclient", 50000), "headers": []}) == "testclient"
