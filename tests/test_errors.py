"""Every error is RFC 9457 problem+json; nothing leaks and nothing is half-written."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def _is_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://peer-ce.org/problems/")
    assert body["title"] and body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_is_a_problem(client):
    body = _is_problem(client.get("/v1/no-such-thing"), 404)
    assert "/v1/no-such-thing" in body["detail"]


def test_wrong_method_is_a_problem(client):
    _is_problem(client.delete("/v1/credentials"), 405)


def test_405_allows_every_method_of_the_path(admin):
    """`Allow` names every method served at the path (GET and POST), not only the first route's."""
    response = admin.request("OPTIONS", "/v1/certifications")
    body = _is_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"
    assert "supports GET, POST" in body["detail"]
    assert admin.request("OPTIONS", "/v1/people/1").headers["allow"] == "GET, PATCH"


def test_a_path_segment_that_is_no_id_is_not_an_id_route(admin):
    """`/v1/completions/import` serves only POST: a GET is 405 naming POST, not 422 "completion_id is not an
    integer" from `/v1/completions/{completion_id}`; a word where an id goes is 404."""
    response = admin.get("/v1/completions/import")
    _is_problem(response, 405)
    assert response.headers["allow"] == "POST"
    response = admin.patch("/v1/certifications/export", json={})
    _is_problem(response, 405)
    assert response.headers["allow"] == "GET"
    assert _is_problem(admin.get("/v1/completions/abc"), 404)["detail"] == "No resource at /v1/completions/abc."
    # An id route whose id comes through a dependency (the course) is recognised too.
    _is_problem(admin.post("/v1/courses/abc/retire", json={}), 404)
    # A number out of range is still the id route's own answer.
    _is_problem(admin.get("/v1/completions/0"), 422)


def test_malformed_json_is_400(admin):
    response = admin.put("/v1/credentials/NC-CPSS", content=b'{"code": ', headers={"Content-Type": "application/json"})
    body = _is_problem(response, 400)
    assert body["title"] == "Malformed JSON"


def test_validation_errors_name_each_field(admin):
    body = _is_problem(admin.put("/v1/credentials/NC-CPSS", json={"code": "NC-CPSS"}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"body.state", "body.cycle", "body.requirements", "body.sources"} <= fields
    assert all(e["message"] and e["type"] for e in body["errors"])


def test_query_validation_error_is_422(client):
    body = _is_problem(client.get("/v1/credentials?state=North"), 422)
    assert body["errors"][0]["field"] == "query.state"


def test_oversized_body_is_413(admin):
    big = b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = admin.put("/v1/credentials/NC-CPSS", content=big, headers={"Content-Type": "application/json"})
    _is_problem(response, 413)


def test_unexpected_exception_is_500_without_a_stack_trace(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    response = client.get("/boom")
    body = _is_problem(response, 500)
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert body["request_id"]
    logged = [r for r in caplog.records if r.name == "peer_ce.errors"]
    assert logged and logged[0].request_id == body["request_id"]


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc123def456"}).headers["x-request-id"] == "abc123def456"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"}).headers["x-request-id"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 32
