"""`peer-ce serve` as deployed: a real uvicorn on 127.0.0.1 (a free port) over the suite's database.

Oversized request heads are refused by the server with 431 before the app parses anything, and the
service keeps answering meanwhile; uvicorn does not take the client from X-Forwarded-For. Every request
is bounded in size and time; the server is stopped at the end.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.auth.deps import MAX_TOKEN_CHARS
from tests.support.live import live_server

LIMIT = 32 * 1024  # the default PEER_CE_MAX_HEADER_BYTES


@dataclass
class Live:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def live(engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`python -m app serve` on the suite's (migrated) database, verification limited to 3 a minute."""
    env = {
        "PEER_CE_MIGRATE_ON_START": "false",
        "PEER_CE_LOAD_CONTENT_ON_START": "false",
        "PEER_CE_SCHEDULER_ENABLED": "false",
        "PEER_CE_VERIFY_RATE_PER_MINUTE": "3",
    }
    with live_server(None, tmp_path_factory.mktemp("live-server"), env=env, database_url=database_url) as server:
        yield Live(port=int(server.url.rsplit(":", 1)[1]), log=server.log)


def _raw_request(port: int, head: bytes, padding: int = 0, *, timeout: float = 20.0) -> bytes:
    """Send `head` (then `padding` more bytes of a header value, then the end of the head); return the answer."""
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            chunk = b"a" * 65536
            for start in range(0, padding, len(chunk)):
                sock.sendall(chunk[: min(len(chunk), padding - start)])
            sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is what counts
        try:
            while data := sock.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    return bytes(answer)


def _parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_an_8_mb_authorization_header_gets_431_and_healthz_keeps_answering_fast(live: Live):
    head = b"GET /v1/people/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
    answers: list[bytes] = []
    senders = [
        threading.Thread(target=lambda: answers.append(_raw_request(live.port, head, 8 * 1024 * 1024)))
        for _ in range(3)
    ]
    latencies = []
    with httpx.Client(base_url=live.url, timeout=5) as client:
        client.get("/healthz")  # the connection is open before the attack starts
        for sender in senders:
            sender.start()
        while any(s.is_alive() for s in senders) or len(latencies) < 10:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
            if len(latencies) > 500:
                break
    for sender in senders:
        sender.join(timeout=30)
    assert len(answers) == 3
    for answer in answers:
        status, headers, body = _parse(answer)
        assert status == 431, answer[:200]
        assert headers["content-type"] == "application/problem+json" and headers["connection"] == "close"
        problem = json.loads(body[: int(headers["content-length"])])
        assert problem["status"] == 431 and problem["title"] == "Request header fields too large"
        assert str(LIMIT) in problem["detail"]
    # 8 MB heads read whole and handed to the app used to push /healthz from ~25 ms to 2.5 s
    assert max(latencies) < 0.25, f"/healthz slowed down to {max(latencies):.3f} s"


def test_many_headers_adding_up_past_the_limit_get_431(live: Live):
    padding = b"".join(b"X-Padding-%d: %s\r\n" % (n, b"p" * 400) for n in range(100))  # 40 KiB in small headers
    status, headers, _ = _parse(_raw_request(live.port, b"GET /healthz HTTP/1.1\r\nHost: a\r\n" + padding[:-2]))
    assert status == 431 and headers["connection"] == "close"


def test_a_long_url_gets_431(live: Live):
    status, _, _ = _parse(
        _raw_request(live.port, b"GET /v1/verify/NC-CPSS/" + b"9" * (LIMIT + 10) + b" HTTP/1.1\r\nHost: a")
    )
    assert status == 431


def test_a_head_under_the_limit_is_served(live: Live):
    response = httpx.get(f"{live.url}/healthz", headers={"X-Padding": "p" * (LIMIT // 2)}, timeout=5)
    assert response.status_code == 200


def test_a_bearer_token_over_8_kib_is_refused_with_401(live: Live):
    response = httpx.get(
        f"{live.url}/v1/people/1", timeout=5, headers={"Authorization": "Bearer " + "a" * (MAX_TOKEN_CHARS + 1)}
    )
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    assert f"longer than {MAX_TOKEN_CHARS} characters" in response.json()["detail"]


def test_x_forwarded_for_from_loopback_does_not_choose_the_client(live: Live):
    """uvicorn would trust a loopback proxy; `peer-ce serve` turns that off, and no proxy is trusted by default."""
    source = f"127.{random.randrange(1, 255)}.{random.randrange(256)}.{random.randrange(1, 255)}"  # a fresh client
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=live.url, transport=transport, timeout=5) as client:
        codes = [
            client.get("/v1/verify/NC-CPSS/NO-SUCH-NUMBER", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(5)
        ]
    assert codes == [404, 404, 404, 429, 429]


def test_pipelined_requests_are_served(live: Live):
    one = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Padding: %s\r\n\r\n" % (b"p" * (LIMIT // 2))
    last = b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close"
    answer = _raw_request(live.port, one * 6 + last)  # 100 KiB of heads in one write, each under the limit
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]
    assert statuses == [200] * 7


def test_a_large_body_is_not_counted_as_head(live: Live):
    body = b"x" * (4 * LIMIT)
    post = b"POST /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
    status, _, _ = _parse(_raw_request(live.port, post + body[:-4]))  # _raw_request ends it with 4 bytes
    assert status == 405
