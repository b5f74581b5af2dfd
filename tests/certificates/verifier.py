"""A third party's verifier, written from the specifications with libraries peer-ce does not use itself:
jsonschema with 1EdTech's official OB 3.0 schema, joserfc for the JWS, did:web resolution, and a Bitstring Status
List check. Nothing here imports the app: it sees only the certificate and the documents the service serves."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from joserfc import jwt
from joserfc.jwk import JWKRegistry
from jsonschema import Draft201909Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "standards" / "ob3" / "achievementcredential.schema.json"
JWT_CLAIMS = {"iss", "jti", "nbf", "sub", "exp", "iat"}


@cache
def ob3_validator() -> Draft201909Validator:
    assert SCHEMA.is_file(), f"the official OB 3.0 schema is read from {SCHEMA} (the repository's ../shared)"
    schema = json.loads(SCHEMA.read_text())
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(credential: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in ob3_validator().iter_errors(credential)]


def did_web_url(did: str) -> str:
    """did:web method: `did:web:host%3Aport:path` -> https://host:port/path/did.json (no path: /.well-known)."""
    assert did.startswith("did:web:"), did
    host, *path = did.removeprefix("did:web:").split(":")
    host = unquote(host)
    return f"https://{host}/{'/'.join(map(unquote, path))}/did.json" if path else f"https://{host}/.well-known/did.json"


class Web:
    """HTTPS as the verifier sees it: GETs to the one host peer-ce serves, answered by the app under test."""

    def __init__(self, client, host: str) -> None:
        self.client, self.host, self.fetched = client, host, []

    def get(self, url: str, **kw):
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc == self.host, f"a verifier would fetch {url}"
        self.fetched.append(url)
        response = self.client.get(parts.path, **kw)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        return response


@dataclass
class Verified:
    header: dict
    claims: dict
    credential: dict
    jwk: dict


def unverified_header(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def resolve_key(web: Web, kid: str) -> dict:
    """Dereference a DID URL `kid`: resolve its DID (did:web), find the verification method, return its JWK."""
    did, _, _ = kid.partition("#")
    document = web.get(did_web_url(did)).json()
    assert document["id"] == did
    method = next(m for m in document["verificationMethod"] if m["id"] == kid)
    assert method["controller"] == did
    assert kid in document["assertionMethod"], "the key is not authorized to issue credentials"
    return method["publicKeyJwk"]


def verify_vc_jwt(web: Web, token: str, *, now: datetime | None = None) -> Verified:
    """Open Badges 3.0, section 'Verify a Credential' (VC-JWT): header, key from the kid, signature, claims."""
    header = unverified_header(token)
    assert set(header) <= {"alg", "kid", "typ", "jwk"}, f"additional JOSE headers are not allowed: {header}"
    assert header["alg"] == "RS256", "RS256 is what every OB 3.0 verifier must support"
    assert header.get("typ", "JWT") == "JWT"
    jwk = resolve_key(web, header["kid"])
    assert "d" not in jwk
    decoded = jwt.decode(token, JWKRegistry.import_key(jwk), algorithms=["RS256"])
    claims = decoded.claims
    credential = {k: v for k, v in claims.items() if k not in JWT_CLAIMS}
    issuer = credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"]
    assert claims["iss"] == issuer
    assert claims["sub"] == credential["credentialSubject"]["id"]
    assert claims["jti"] == credential["id"]
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    assert claims["nbf"] == int(valid_from.timestamp())
    assert valid_from <= (now or datetime.now(UTC))
    return Verified(header=header, claims=claims, credential=credential, jwk=jwk)


def revoked(web: Web, credential: dict) -> bool:
    """W3C Bitstring Status List: fetch the list credential, verify it, read the entry's bit."""
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    token = web.get(entry["statusListCredential"]).text
    listed = verify_vc_jwt(web, token).credential
    assert "BitstringStatusListCredential" in listed["type"] and listed["id"] == entry["statusListCredential"]
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u"), "multibase base64url"
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131_072, "a list hides each entry among at least 131,072"
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] >> (7 - index % 8) & 1)
