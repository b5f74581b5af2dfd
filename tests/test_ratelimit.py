"""Rate limits of the public verification endpoints: per client, shared by every app on one database
(the `rate_limit_hit` table on PostgreSQL, the process on SQLite), counted before any database work."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.db import make_engine
from app.main import create_app
from app.ratelimit import WINDOW_SECONDS, RateLimiter, bucket_of, counter_for, retry_after
from tests.support.client import ApiClient

NOT_A_CERTIFICATE = {"certificate": "not-a-certificate-at-all"}


def fresh_ipv4() -> str:
    """A client address no other test uses (counts of one database outlive a test)."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def fresh_ipv6_prefix() -> str:
    return f"2001:db8:{random.randrange(1 << 16):x}:{random.randrange(1 << 16):x}"


@pytest.fixture
def limited(settings, engine) -> Iterator:
    """Apps with a verification limit of 3 a minute over the suite's database, and clients to call them."""
    opened: list[ApiClient] = []
    engines: list[Engine] = []

    def make(*, own_engine: bool = False, **overrides):
        app_engine = engine
        if own_engine:  # another replica: its own engine and pool, the same database
            app_engine = make_engine(settings)
            engines.append(app_engine)
        app = create_app(settings.model_copy(update={"verify_rate_per_minute": 3, **overrides}), engine=app_engine)

        def client(address: str) -> ApiClient:
            c = ApiClient(app, client=(address, 40000))
            opened.append(c)
            return c

        app.client = client  # type: ignore[attr-defined]
        return app

    yield make
    for c in opened:
        c.close()
    for e in engines:
        e.dispose()


def _verify(client: ApiClient, **kw) -> int:
    return client.get("/v1/verify/NC-CPSS/NO-SUCH-NUMBER", **kw).status_code


def test_verification_past_the_limit_is_429_with_retry_after_and_unknown_numbers_count(limited):
    client = limited().client(fresh_ipv4())
    assert [_verify(client) for _ in range(3)] == [404, 404, 404]
    refused = client.get("/v1/verify/NC-CPSS/NO-SUCH-NUMBER")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Too many requests" and "3 requests per minute" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 2 * WINDOW_SECONDS
    assert refused.headers["cache-control"] == "no-store"


def test_certificate_verification_is_limited_too_and_bad_certificates_count(limited):
    client = limited().client(fresh_ipv4())
    codes = [client.post("/v1/certificates/verify", json=NOT_A_CERTIFICATE).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = client.post("/v1/certificates/verify", json={"certificate": ""})  # invalid bodies are refused as well
    assert body.status_code == 429 and body.headers["retry-after"]


def test_each_endpoint_and_each_client_has_its_own_count(limited):
    app = limited()
    first, second = app.client(fresh_ipv4()), app.client(fresh_ipv4())
    assert [_verify(first) for _ in range(4)][-1] == 429
    assert _verify(second) == 404  # another client is not held back
    assert first.post("/v1/certificates/verify", json=NOT_A_CERTIFICATE).status_code == 200


def test_a_refused_request_never_opens_a_database_session(limited):
    app = limited()
    opened = []
    factory = app.state.session_factory

    def counting_factory(*args, **kwargs):
        opened.append(1)
        return factory(*args, **kwargs)

    app.state.session_factory = counting_factory
    client = app.client(fresh_ipv4())
    assert [_verify(client) for _ in range(3)] == [404, 404, 404]
    sessions = len(opened)
    assert sessions >= 3
    assert [_verify(client) for _ in range(5)] == [429] * 5
    assert len(opened) == sessions


def test_two_apps_on_one_database_share_the_count(limited):
    """Two replicas (their own engines and pools) on the same database: the limit is the client's, not theirs."""
    address = fresh_ipv4()
    one, other = limited().client(address), limited(own_engine=True).client(address)
    assert [_verify(one), _verify(other), _verify(one)] == [404, 404, 404]
    assert _verify(other) == 429
    assert one.post("/v1/certificates/verify", json=NOT_A_CERTIFICATE).status_code == 200


def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_reset_the_count(limited):
    """No trusted proxies by default: loopback included, a peer cannot choose which client it is."""
    client = limited().client(fresh_ipv4())
    codes = [_verify(client, headers={"X-Forwarded-For": fresh_ipv4()}) for _ in range(6)]
    assert codes == [404, 404, 404, 429, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(limited):
    proxy = fresh_ipv4()
    app = limited(trusted_proxies=[proxy])
    via_proxy = app.client(proxy)
    alice, bob = fresh_ipv4(), fresh_ipv4()
    assert [_verify(via_proxy, headers={"X-Forwarded-For": alice}) for _ in range(4)][-1] == 429
    assert _verify(via_proxy, headers={"X-Forwarded-For": bob}) == 404
    # What the client prepends is ignored: the proxy appended the address it saw, the right-most untrusted one.
    assert _verify(via_proxy, headers={"X-Forwarded-For": f"{bob}, {alice}"}) == 429


def test_ipv6_clients_are_counted_per_64_prefix(limited):
    app = limited()
    prefix = fresh_ipv6_prefix()
    same_subnet = [app.client(f"{prefix}::{n:x}") for n in (1, 2, 0xBEEF)]
    assert [_verify(c) for c in same_subnet] == [404, 404, 404]
    assert _verify(app.client(f"{prefix}:0:0:0:ffff")) == 429  # another address in the same /64
    assert _verify(app.client(f"{fresh_ipv6_prefix()}::1")) == 404
    assert bucket_of(f"{prefix}::1") == f"{prefix}::/64"
    assert bucket_of("::ffff:192.0.2.7") == "192.0.2.7"


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_retry_after_is_when_a_request_fits_again(engine):
    """On the suite's database: the previous minute weighs in proportion to what of it is still in the window."""
    limit = 10
    start = (1_000 + random.randrange(10**6)) * WINDOW_SECONDS  # a minute long gone: no other test counts there
    clock = FakeClock(start)
    limiter = RateLimiter(counter_for(engine), limit, clock=clock)
    client = fresh_ipv4()
    for _ in range(limit):
        limiter.check("verify", client)
    clock.now = start + WINDOW_SECONDS + WINDOW_SECONDS / 2  # half of the previous minute still counts: 5 of 10
    for _ in range(5):
        limiter.check("verify", client)
    with pytest.raises(Exception) as refused:
        limiter.check("verify", client)
    retry = int(refused.value.headers["Retry-After"])
    assert retry == retry_after(10, 6, WINDOW_SECONDS / 2, limit)
    clock.now += retry
    limiter.check("verify", client)  # fits again after Retry-After seconds


def test_retry_after_is_exact_for_a_burst():
    # 4 hits at the start of a minute with a limit of 3: the next minute must be half over
    assert retry_after(0, 4, 0.0, 3) == 90
    # a full previous minute and nothing yet in this one: wait until enough of it has slid out
    assert retry_after(6, 1, 0.0, 3) == 50  # 6 x (1 - 50/60) + the 2 of this minute = 3


def test_old_windows_are_forgotten(engine):
    counter = counter_for(engine)
    base = 2_000 + random.randrange(10**6)
    bucket = f"test:{fresh_ipv4()}"
    for _ in range(3):
        counter.hit(bucket, base)
    assert counter.hit(bucket, base + 1) == (3, 1)
    counter.hit(f"test:{fresh_ipv4()}", base + 100)  # a much later minute purges what no estimate needs
    assert counter.hit(bucket, base + 2) == (0, 1)
