"""Production posture: no caching of API answers, interactive docs only when enabled and served from local
assets (nothing from a CDN)."""

from __future__ import annotations

import re

import pytest
from fastapi import Response
from pydantic import ValidationError

from app.config import Settings
from tests.support.apps import routed_app
from tests.support.client import ApiClient

PROBLEM = "application/problem+json"


# --- Cache-Control --------------------------------------------------------------------------------


def test_every_api_answer_is_no_store_errors_included(client, admin):
    answers = {
        "public read": client.get("/v1/credentials"),
        "authenticated read": admin.get("/v1/audit"),
        "write": admin.post(
            "/v1/people", json={"given_name": "Ada", "family_name": "Byrne", "email": "ada.byrne@example.org"}
        ),
        "unknown path": client.get("/v1/no-such-thing"),
        "no token": client.get("/v1/people/1"),
        "validation": admin.post("/v1/people", json={}),
        "body too large (middleware)": admin.post(
            "/v1/people", content=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"}
        ),
    }
    assert [r.status_code for r in answers.values()] == [200, 200, 201, 404, 401, 422, 413]
    for what, response in answers.items():
        assert response.headers.get("cache-control") == "no-store", what


def test_a_route_that_sets_its_own_cache_policy_keeps_it(app, client):
    @app.get("/v1/test-cacheable")
    def cacheable() -> Response:
        return Response("{}", media_type="application/json", headers={"Cache-Control": "public, max-age=60"})

    assert client.get("/v1/test-cacheable").headers["cache-control"] == "public, max-age=60"


def test_pages_and_probes_outside_the_api_keep_their_own_policy(client):
    assert client.get("/status").headers["cache-control"] == "no-cache"
    assert "cache-control" not in client.get("/healthz").headers


# --- API docs -------------------------------------------------------------------------------------

_URL_ATTRIBUTES = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


def _urls(html: str) -> list[str]:
    return [a or b for a, b in _URL_ATTRIBUTES.findall(html)]


@pytest.mark.parametrize(
    ("page", "scripts"),
    [("/docs", {"/docs/assets/swagger-ui-bundle.js"}), ("/redoc", {"/docs/assets/redoc.standalone.js"})],
)
def test_docs_pages_load_everything_from_this_origin(client, page, scripts):
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    urls = _urls(html)
    assert scripts <= set(urls) and "/openapi.json" in urls
    assert "http://" not in html and "https://" not in html  # no CDN, no web fonts, no validator badge
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")


def test_docs_assets_are_a_fixed_list(client):
    response = client.get("/docs/assets/..%2F__init__.py")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


@pytest.fixture
def docs_off(settings, engine, session_factory):
    app = routed_app(settings.model_copy(update={"api_docs": False}), engine)
    app.state.session_factory = session_factory
    client = ApiClient(app)
    yield client
    client.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"])
def test_with_docs_off_the_document_and_the_pages_are_404_problems(docs_off, path):
    response = docs_off.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM and response.json()["status"] == 404


def test_with_docs_off_the_api_still_answers(docs_off):
    assert docs_off.get("/v1/credentials").status_code == 200


def _production(tmp_path) -> dict:
    """Settings a production start accepts, apart from what a test changes (no file is read here)."""
    key, issuer = tmp_path / "idp.pem", tmp_path / "issuer.pem"
    key.write_text("not read here")
    issuer.write_text("not read here")
    return dict(
        _env_file=None,
        environment="production",
        jwt_public_key_file=key,
        public_base_url="https://ce.example.org",
        issuer_key_file=issuer,
    )


def test_docs_are_off_by_default_in_production_only(tmp_path):
    production = _production(tmp_path)
    assert Settings(**production).api_docs is False
    assert Settings(**production, api_docs=True).api_docs is True
    assert Settings(_env_file=None, environment="development").api_docs is True
    assert Settings(_env_file=None, environment="test").api_docs is True


def test_production_refuses_open_metrics(tmp_path):
    production = _production(tmp_path)
    with pytest.raises(ValidationError, match="METRICS_TOKEN is required in production"):
        Settings(**production, metrics_enabled=True)
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(**production, metrics_enabled=True, metrics_token="short")
    assert Settings(**production, metrics_enabled=True, metrics_token="s" * 32).metrics_enabled
