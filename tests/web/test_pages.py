"""The thin client's pages and assets are served, locked down, and kept out of the API schema."""

from __future__ import annotations


def test_status_and_verify_pages_are_served_with_a_strict_policy(client):
    for path, marker in (("/status", 'id="token-form"'), ("/verify", 'id="verify-form"'), ("/board", 'id="filters"')):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert marker in response.text
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        assert response.headers["referrer-policy"] == "no-referrer"


def test_assets_are_served_and_nothing_else_from_the_web_folder(client):
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/status.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/verify.js").status_code == 200
    for name in ("board.js", "charts.js", "board.css"):
        assert client.get(f"/static/{name}").status_code == 200
    for other in ("router.py", "__init__.py", "status.html", "..%2Fconfig.py"):
        response = client.get(f"/static/{other}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


def test_pages_use_only_local_assets_and_never_put_the_token_in_a_query(client):
    for path in (
        "/status",
        "/verify",
        "/board",
        "/static/status.js",
        "/static/verify.js",
        "/static/board.js",
        "/static/charts.js",
        "/static/board.css",
    ):
        text = client.get(path).text
        assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    for name in ("status.js", "board.js"):
        script = client.get(f"/static/{name}").text
        assert "sessionStorage" in script and "localStorage" not in script
        assert "?token" not in script and "location.search" not in script and "console.log" not in script


def test_pages_are_not_in_the_openapi_schema(app):
    paths = app.openapi()["paths"]
    assert not {"/status", "/verify", "/board", "/static/{name}"} & set(paths)
