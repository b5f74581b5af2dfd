"""Webhook URLs: https to public addresses only (SSRF), checked when subscribing and when delivering."""

from __future__ import annotations

import pytest

from app.scheduler.webhooks import UnsafeUrl, check_url
from tests.catalog.helpers import problem
from tests.scheduler.helpers import with_settings

REFUSED = [
    "https://10.0.0.1/x",
    "http://169.254.169.254/",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1",
    "http://127.0.0.1:8080/hook",
    "https://127.0.0.1/hook",
    "https://localhost/hook",  # a name that resolves to loopback
    "https://[::1]/hook",
    "https://192.168.1.20/hook",
    "https://172.16.5.4/hook",
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",  # multicast
    "https://240.0.0.1/hook",  # reserved
    "https://[fe80::1]/hook",  # link-local
    "https://[fd00::1]/hook",  # unique local
    "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
    "ftp://example.org/hook",
    "https://user:pass@93.184.216.34/hook",
    "https:///nohost",
    "https://93.184.216.34:99999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_webhook_urls_are_rejected_with_422(admin, url):
    body = problem(admin.post("/v1/webhooks", json={"state": "NC", "url": url}), 422)
    assert body["errors"][0]["field"] == "body.url"


def test_plain_http_to_a_public_address_is_rejected(admin):
    body = problem(admin.post("/v1/webhooks", json={"state": "NC", "url": "http://93.184.216.34/hook"}), 422)
    assert "https" in body["errors"][0]["message"]


def test_loopback_http_is_accepted_only_when_the_setting_allows_it(app, admin):
    with_settings(app, webhook_allow_loopback=True)
    ok = admin.post("/v1/webhooks", json={"state": "NC", "url": "http://127.0.0.1:9/hook"})
    assert ok.status_code == 201, ok.text
    assert admin.post("/v1/webhooks", json={"state": "NC", "url": "http://localhost:9/hook"}).status_code == 201
    for url in ("https://10.0.0.1/x", "http://169.254.169.254/", "http://192.168.0.1/"):
        problem(admin.post("/v1/webhooks", json={"state": "NC", "url": url}), 422)


def test_https_to_a_public_address_is_accepted_with_a_given_secret(admin):
    response = admin.post(
        "/v1/webhooks",
        json={"state": "nc", "url": "https://93.184.216.34/peer-ce", "secret": "a-board-chosen-secret-value"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "NC" and body["secret"] == "a-board-chosen-secret-value" and body["active"] is True
    assert response.headers["location"] == f"/v1/webhooks/{body['id']}"
    problem(admin.post("/v1/webhooks", json={"state": "NC", "url": "https://93.184.216.34/", "secret": "short"}), 422)


def _resolver(answers):
    return lambda host, port: answers[host]


def test_a_name_with_any_private_answer_is_refused():
    resolve = _resolver(
        {
            "mixed.example": ["93.184.216.34", "10.1.2.3"],
            "public.example": ["93.184.216.34"],
            "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"],
            "mapped.example": ["::ffff:192.168.0.1"],
        }
    )
    with pytest.raises(UnsafeUrl, match="private"):
        check_url("https://mixed.example/x", allow_loopback=False, resolve=resolve)
    with pytest.raises(UnsafeUrl, match="private"):
        check_url("https://mapped.example/x", allow_loopback=True, resolve=resolve)
    target = check_url("https://public.example:8443/x?y=1", allow_loopback=False, resolve=resolve)
    assert (target.host, target.port, target.path, target.addresses) == (
        "public.example",
        8443,
        "/x?y=1",
        ("93.184.216.34",),
    )
    assert check_url("https://v6.example/", allow_loopback=False, resolve=resolve).addresses


def test_a_name_that_does_not_resolve_is_refused():
    def fail(host, port):
        raise OSError("no such host")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://nowhere.invalid/x", allow_loopback=False, resolve=fail)
