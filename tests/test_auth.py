"""Bearer-token verification: every way a token can be wrong is a 401; wrong scope is a 403."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.auth.tokens import load_or_create_dev_key, mint_dev_token

PROTECTED = "/v1/audit"


def _claims(settings, **overrides):
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "tester",
        "iat": now,
        "exp": now + 600,
        "role": "admin",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(settings, claims, **headers):
    key = load_or_create_dev_key(settings.dev_key_path)
    return jwt.encode(claims, key, algorithm="ES256", headers=headers or None)


def _assert_401(response, detail_part):
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert detail_part.lower() in body["detail"].lower()


def test_valid_dev_token_is_accepted(client, tokens):
    assert client.as_(tokens.admin()).get(PROTECTED).status_code == 200


def test_missing_token_is_401(client):
    _assert_401(client.get(PROTECTED), "bearer token is required")


def test_non_bearer_scheme_is_401(client):
    _assert_401(client.get(PROTECTED, headers={"Authorization": "Basic dXNlcjpwYXNz"}), "bearer token")


def test_malformed_token_is_401(client):
    _assert_401(client.as_("not.a.jwt").get(PROTECTED), "malformed")


def test_expired_token_is_401(client, settings):
    past = int(time.time()) - 3600
    token = _sign(settings, _claims(settings, iat=past - 600, exp=past))
    _assert_401(client.as_(token).get(PROTECTED), "expired")


def test_not_yet_valid_token_is_401(client, settings):
    future = int(time.time()) + 3600
    token = _sign(settings, _claims(settings, nbf=future, exp=future + 600))
    _assert_401(client.as_(token).get(PROTECTED), "not valid yet")


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub"])
def test_token_without_required_claim_is_401(client, settings, claim):
    token = _sign(settings, _claims(settings, **{claim: None}))
    _assert_401(client.as_(token).get(PROTECTED), claim)


def test_wrong_issuer_is_401(client, settings):
    token = _sign(settings, _claims(settings, iss="https://evil.example"))
    _assert_401(client.as_(token).get(PROTECTED), "issuer")


def test_wrong_audience_is_401(client, settings):
    token = _sign(settings, _claims(settings, aud="another-api"))
    _assert_401(client.as_(token).get(PROTECTED), "audience")


def test_alg_none_is_401(client, settings):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims(settings)).encode()).rstrip(b"=")
    token = f"{header.decode()}.{payload.decode()}."
    _assert_401(client.as_(token).get(PROTECTED), "")


def test_hs256_signed_with_the_public_key_is_401(client, settings):
    """Algorithm confusion: the public key used as an HMAC secret must not verify."""
    public_pem = (
        load_or_create_dev_key(settings.dev_key_path)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims(settings)).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signing_input = header + b"." + payload
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    token = (signing_input + b"." + signature).decode()
    _assert_401(client.as_(token).get(PROTECTED), "algorithm")


def test_rs256_token_from_another_key_is_401(client, settings):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(settings), other, algorithm="RS256")
    _assert_401(client.as_(token).get(PROTECTED), "algorithm")


def test_tampered_signature_is_401(client, tokens):
    token = tokens.admin()
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _assert_401(client.as_(f"{head}.{forged}.{sig}").get(PROTECTED), "signature")


def test_token_signed_by_another_ec_key_is_401(client, settings):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(_claims(settings), other, algorithm="ES256")
    _assert_401(client.as_(token).get(PROTECTED), "signature")


def test_unknown_kid_is_401(client, settings):
    token = _sign(settings, _claims(settings), kid="no-such-key")
    _assert_401(client.as_(token).get(PROTECTED), "kid")


@pytest.mark.parametrize(
    "claims",
    [{"role": "superuser"}, {"role": "board"}, {"role": "provider"}, {"role": "peer"}],
    ids=["unknown-role", "board-without-states", "provider-without-id", "peer-without-person"],
)
def test_token_with_invalid_scope_claims_is_401(client, settings, claims):
    token = _sign(settings, _claims(settings, **claims))
    _assert_401(client.as_(token).get(PROTECTED), "claims")


@pytest.mark.parametrize("role", ["provider", "peer"])
def test_roles_without_access_get_403(client, tokens, role):
    token = tokens.provider(1) if role == "provider" else tokens.peer(1)
    response = client.as_(token).get(PROTECTED)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "admin, board" in response.json()["detail"]


def test_board_cannot_publish_another_states_credential(client, tokens):
    current = client.get("/v1/credentials/NC-CPSS").json()["current"]["rules"]
    response = client.as_(tokens.board("VA")).put("/v1/credentials/NC-CPSS", json=current)
    assert response.status_code == 403
    assert "NC board" in response.json()["detail"]


def test_dev_tokens_are_refused_when_a_production_key_is_configured(settings, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "idp.pem"
    pem.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    production = settings.model_copy(update={"jwt_public_key_file": pem})
    with pytest.raises(RuntimeError, match="production key"):
        mint_dev_token(production, role="admin")


def test_tokens_from_a_configured_public_key_verify(settings, tmp_path, engine, session_factory):
    """An identity provider's PEM key: its tokens pass, dev-key tokens do not."""
    from app.main import create_app
    from tests.support.client import ApiClient

    idp = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "idp.pem"
    pem.write_bytes(
        idp.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    app = create_app(settings.model_copy(update={"jwt_public_key_file": pem}), engine=engine)
    app.state.session_factory = session_factory
    client = ApiClient(app)
    try:
        good = jwt.encode(_claims(settings), idp, algorithm="ES256")
        assert client.as_(good).get(PROTECTED).status_code == 200
        dev = mint_dev_token(settings, role="admin")
        assert client.as_(dev).get(PROTECTED).status_code == 401
    finally:
        client.close()


def test_tokens_verify_against_a_jwks_endpoint_by_kid(settings, engine, session_factory):
    """The production path: keys fetched from the identity provider's JWKS URL, chosen by `kid`."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from jwt.algorithms import ECAlgorithm

    from app.main import create_app
    from tests.support.client import ApiClient

    idp = ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**ECAlgorithm.to_jwk(idp.public_key(), as_dict=True), "kid": "idp-2026", "alg": "ES256", "use": "sig"}
        ]
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps(jwks).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = create_app(
        settings.model_copy(
            update={"jwt_jwks_url": f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"}
        ),
        engine=engine,
    )
    app.state.session_factory = session_factory
    client = ApiClient(app)
    try:
        good = jwt.encode(_claims(settings), idp, algorithm="ES256", headers={"kid": "idp-2026"})
        assert client.as_(good).get(PROTECTED).status_code == 200
        unknown = jwt.encode(_claims(settings), idp, algorithm="ES256", headers={"kid": "retired-key"})
        _assert_401(client.as_(unknown).get(PROTECTED), "signing key")
        forged = jwt.encode(
            _claims(settings), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": "idp-2026"}
        )
        _assert_401(client.as_(forged).get(PROTECTED), "signature")
    finally:
        client.close()
        server.shutdown()


def test_a_remembered_token_stops_working_when_it_expires(settings):
    """Verified tokens are remembered, but never past their expiry."""
    from app.auth.tokens import TokenVerifier
    from app.errors import Unauthorized

    strict = settings.model_copy(update={"jwt_leeway_seconds": 0})
    verifier = TokenVerifier(strict)
    token = mint_dev_token(strict, role="admin", ttl_seconds=1)
    assert verifier.verify(token).role == "admin"
    assert verifier.remembered(token) is not None
    time.sleep(1.2)
    assert verifier.remembered(token) is None
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_a_token_sent_with_another_scheme_is_anonymous_on_public_routes(client, tokens):
    response = client.get("/v1/courses", headers={"Authorization": f"Basic {tokens.admin()}"})
    assert response.status_code == 200


def test_every_route_but_the_public_ones_needs_a_bearer_token(app):
    """No /v1 operation is reachable without authentication unless it is mounted as public."""
    from app.api import PUBLIC
    from app.auth.deps import JWTBearer

    public = {id(route) for router in PUBLIC for route in router.routes}

    def bearers(dependant):
        yield dependant.call
        for sub in dependant.dependencies:
            yield from bearers(sub)

    checked = 0
    for included in app.router.routes:
        if not hasattr(included, "effective_route_contexts"):
            continue
        for route in included.effective_route_contexts():
            if not route.path.startswith("/v1") or id(route.original_route) in public:
                continue
            checked += 1
            assert any(isinstance(call, JWTBearer) and not call.optional for call in bearers(route.dependant)), (
                f"{sorted(route.methods)} {route.path} does not authenticate"
            )
    assert checked > 40
