"""The JWT pitfalls: every token that must not admit its bearer is a 401 problem+json on a protected write
(and a protected read), and the write changes nothing.

Algorithm confusion (none, HS256 keyed with the public key's PEM), foreign keys with the right kid and with
another, tampered tokens, expired ones and ones not valid yet, each required claim missing, the wrong
audience and issuer, odd key ids, and claims of the wrong type: a token is never read as meaning something
it does not say (`person_id: true` is not person 1, `states: "NCVA"` is not N, C, V and A).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from app.auth.tokens import load_or_create_dev_key, thumbprint
from tests.security.corpus import assert_problem, row_counts

WRITE = ("POST", "/v1/people")
READ = ("GET", "/v1/audit")
FOREIGN_EC = ec.generate_private_key(ec.SECP256R1())
FOREIGN_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings: Any, **changes: Any) -> dict[str, Any]:
    """An admin's valid claims with these changes (a value of `...` removes the claim)."""
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "pitfall-tester",
        "iat": now,
        "exp": now + 600,
        "role": "admin",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not ...}


def _dev_key(settings: Any) -> ec.EllipticCurvePrivateKey:
    return load_or_create_dev_key(settings.dev_key_path)


def _signed(settings: Any, claims: dict[str, Any], **headers: Any) -> str:
    """Signed with the service's own key (and its kid unless the headers say otherwise), header as given: PyJWT
    would refuse to write some of the headers these tests need."""
    key = _dev_key(settings)
    header = {"alg": "ES256", "typ": "JWT", "kid": thumbprint(key.public_key()), **headers}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input.encode(), key))}"


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}"


def _hs256_with_public_pem(settings: Any, kid: bool) -> str:
    pem = (
        _dev_key(settings)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = thumbprint(_dev_key(settings).public_key())
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims(settings)).encode())}"
    return signing_input + "." + _b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())


def _tampered(settings: Any) -> str:
    """A peer's token whose payload now says admin (the signature is the peer's)."""
    head, _, signature = _signed(settings, _claims(settings, role="peer", person_id=1)).split(".")
    return f"{head}.{_b64(json.dumps(_claims(settings)).encode())}.{signature}"


def _other_header(settings: Any) -> str:
    """A valid token whose header was swapped for one naming another algorithm."""
    _, payload, signature = _signed(settings, _claims(settings)).split(".")
    return (
        f"{_b64(json.dumps({'alg': 'ES384', 'kid': thumbprint(_dev_key(settings).public_key())}).encode())}"
        f".{payload}.{signature}"
    )


def _truncated_signature(settings: Any) -> str:
    token = _signed(settings, _claims(settings))
    return token[:-10]


Token = Callable[[Any], str]
FORGED: list[tuple[str, Token, str]] = [  # (id, token, what the 401 says)
    ("alg-none", lambda s: _unsigned({"alg": "none", "typ": "JWT"}, _claims(s)), "algorithm"),
    (
        "alg-None-with-kid",
        lambda s: _unsigned({"alg": "None", "kid": thumbprint(_dev_key(s).public_key())}, _claims(s)),
        "",
    ),
    (
        "alg-none-with-a-real-signature",
        lambda s: _unsigned(
            {"alg": "none"}, _claims(s), base64.urlsafe_b64decode(_signed(s, _claims(s)).split(".")[2] + "==")
        ),
        "",
    ),
    ("hs256-keyed-with-the-public-pem", lambda s: _hs256_with_public_pem(s, kid=False), "algorithm"),
    ("hs256-keyed-with-the-public-pem-and-its-kid", lambda s: _hs256_with_public_pem(s, kid=True), "algorithm"),
    (
        "foreign-ec-key-with-the-right-kid",
        lambda s: jwt.encode(
            _claims(s), FOREIGN_EC, algorithm="ES256", headers={"kid": thumbprint(_dev_key(s).public_key())}
        ),
        "signature",
    ),
    (
        "foreign-ec-key-with-its-own-kid",
        lambda s: jwt.encode(
            _claims(s), FOREIGN_EC, algorithm="ES256", headers={"kid": thumbprint(FOREIGN_EC.public_key())}
        ),
        "kid",
    ),
    ("foreign-ec-key-without-kid", lambda s: jwt.encode(_claims(s), FOREIGN_EC, algorithm="ES256"), "signature"),
    ("foreign-rsa-key", lambda s: jwt.encode(_claims(s), FOREIGN_RSA, algorithm="RS256"), "algorithm"),
    ("tampered-payload", _tampered, "signature"),
    ("swapped-header", _other_header, ""),
    ("truncated-signature", _truncated_signature, ""),
    ("not-a-jwt", lambda s: "not.a.jwt", "malformed"),
    ("two-segments", lambda s: ".".join(_signed(s, _claims(s)).split(".")[:2]), ""),
]

TIMES: list[tuple[str, Callable[[Any], dict], str]] = [
    ("expired", lambda s: _claims(s, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), "expired"),
    ("future-nbf", lambda s: _claims(s, nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200), "not valid yet"),
    ("future-iat", lambda s: _claims(s, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200), "not valid yet"),
    ("exp-not-a-number", lambda s: _claims(s, exp="tomorrow"), ""),
    *[
        (f"missing-{claim}", lambda s, claim=claim: _claims(s, **{claim: ...}), claim)
        for claim in ("exp", "iat", "iss", "aud", "sub", "role")
    ],
    ("wrong-aud", lambda s: _claims(s, aud="another-api"), "audience"),
    ("wrong-aud-list", lambda s: _claims(s, aud=["another-api", "a-third-api"]), "audience"),
    ("wrong-iss", lambda s: _claims(s, iss="https://evil.example"), "issuer"),
]

KIDS: list[tuple[str, Any]] = [
    ("very-long-kid", "k" * 10_000),
    ("path-like-kid", "../../../../etc/passwd"),
    ("url-kid", "https://evil.example/jwks.json#key"),
    ("numeric-kid", 7),
    ("list-kid", ["a", "b"]),
    ("object-kid", {"kid": "x"}),
]

SCOPE = "role or scope claims are invalid"
CLAIMS: list[tuple[str, dict[str, Any]]] = [  # valid signature, claims of the wrong type or out of range
    ("peer-person-id-true", {"role": "peer", "person_id": True}),
    ("peer-person-id-1.0", {"role": "peer", "person_id": 1.0}),
    ("peer-person-id-2.9", {"role": "peer", "person_id": 2.9}),
    ("peer-person-id-string", {"role": "peer", "person_id": "1"}),
    ("peer-person-id-0", {"role": "peer", "person_id": 0}),
    ("peer-person-id-negative", {"role": "peer", "person_id": -1}),
    ("peer-person-id-past-32-bits", {"role": "peer", "person_id": 2_147_483_648}),
    ("peer-person-id-list", {"role": "peer", "person_id": [1]}),
    ("provider-id-true", {"role": "provider", "provider_id": True}),
    ("provider-id-float", {"role": "provider", "provider_id": 3.0}),
    ("provider-id-string", {"role": "provider", "provider_id": "3"}),
    ("provider-id-huge", {"role": "provider", "provider_id": 10**30}),
    ("admin-with-a-boolean-person-id", {"role": "admin", "person_id": False}),
    ("board-states-string", {"role": "board", "states": "NCVA"}),
    ("board-states-one-string", {"role": "board", "states": "NC"}),
    ("board-states-lower-case", {"role": "board", "states": ["nc"]}),
    ("board-states-three-letters", {"role": "board", "states": ["NCV"]}),
    ("board-states-number", {"role": "board", "states": [1]}),
    ("board-states-nested", {"role": "board", "states": [["NC"]]}),
    ("board-states-null", {"role": "board", "states": None}),
    ("board-states-object", {"role": "board", "states": {"NC": True}}),
    ("board-states-empty", {"role": "board", "states": []}),
    ("role-capitalised", {"role": "Admin"}),
    ("role-upper-case", {"role": "ADMIN"}),
    ("role-list", {"role": ["admin"]}),
    ("role-number", {"role": 1}),
    ("role-null", {"role": None}),
    ("role-unknown", {"role": "superuser"}),
    ("sub-empty", {"sub": ""}),
    ("sub-blank", {"sub": "   "}),
    ("sub-too-long", {"sub": "s" * 191}),
    ("sub-with-a-newline", {"sub": "tester\nadmin:root"}),
]


@pytest.fixture
def refused(client, db):
    """Call the protected write and read with a token; assert both are a 401 problem and nothing changed."""

    def check(token: str, says: str = "") -> None:
        caller = client.as_(token)
        before = row_counts(db)
        for method, path in (WRITE, READ):
            body = {"given_name": "Pit", "family_name": "Fall", "email": "pitfall@example.org"}
            response = caller.request(method, path, json=body if method == "POST" else None)
            problem = assert_problem(response, 401)
            assert problem["title"] == "Unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert says.lower() in (problem["detail"] or "").lower(), problem
        assert row_counts(db) == before

    return check


def test_the_protected_operations_admit_a_valid_token(client, settings, db):
    """The control: the same write with a good token creates the person, the read answers."""
    caller = client.as_(_signed(settings, _claims(settings)))
    before = row_counts(db)["person"]
    created = caller.post(WRITE[1], json={"given_name": "Pit", "family_name": "Fall", "email": "ok@example.org"})
    assert created.status_code == 201, created.text
    assert row_counts(db)["person"] == before + 1
    assert caller.get(READ[1]).status_code == 200


@pytest.mark.parametrize(("make", "says"), [(m, s) for _, m, s in FORGED], ids=[i for i, _, _ in FORGED])
def test_forged_tokens_are_401(refused, settings, make, says):
    refused(make(settings), says)


@pytest.mark.parametrize(("claims", "says"), [(c, s) for _, c, s in TIMES], ids=[i for i, _, _ in TIMES])
def test_tokens_out_of_time_or_missing_claims_are_401(refused, settings, claims, says):
    refused(_signed(settings, claims(settings)), says)


@pytest.mark.parametrize("kid", [k for _, k in KIDS], ids=[i for i, _ in KIDS])
def test_odd_key_ids_are_401_even_with_the_right_signature(refused, settings, kid):
    refused(_signed(settings, _claims(settings), kid=kid))


@pytest.mark.parametrize("changes", [c for _, c in CLAIMS], ids=[i for i, _ in CLAIMS])
def test_claims_of_the_wrong_type_are_401(refused, settings, changes):
    refused(_signed(settings, _claims(settings, **changes)), SCOPE)


@pytest.mark.parametrize("sub", [12345, ["pitfall-tester"], {"id": 1}, True])
def test_a_subject_that_is_not_a_string_is_401(refused, settings, sub):
    refused(_signed(settings, _claims(settings, sub=sub)))


def test_a_boolean_person_id_does_not_read_as_person_1(client, settings, admin, db):
    """`person_id: true` once acted as person 1: now the peer's own pages refuse it, and 1 itself works."""
    from tests import factories

    first = factories.person(admin)
    claims = _claims(settings, role="peer", person_id=True)
    assert_problem(client.as_(_signed(settings, claims)).get("/v1/me/certifications"), 401)
    own = client.as_(_signed(settings, _claims(settings, role="peer", person_id=first["id"])))
    assert own.get("/v1/me/certifications").status_code == 200


def test_states_must_be_a_list_of_codes_not_a_string(client, settings, admin):
    """`states: "NCVA"` once became {N, C, V, A}; `["NC", "VA"]` is how a board of two states says it."""
    assert_problem(client.as_(_signed(settings, _claims(settings, role="board", states="NCVA"))).get(READ[1]), 401)
    two = client.as_(_signed(settings, _claims(settings, role="board", states=["NC", "VA"])))
    assert two.get(READ[1]).status_code == 200
