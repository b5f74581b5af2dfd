"""JWT verification (PyJWT) against configured keys, and development tokens.

Algorithms are pinned from configuration, never taken from the token header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from app.auth.principal import Principal, Role
from app.config import Settings
from app.errors import Unauthorized
from app.types import MAX_ID

log = logging.getLogger("peer_ce.auth")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
VERIFIED_TTL = 60.0  # seconds a verified token is trusted without checking its signature again
VERIFIED_MAX = 10_000  # tokens remembered at once; the memory is emptied when full


def thumbprint(public_key: Any) -> str:
    """RFC 7638 JWK thumbprint: the key id of the development and PEM-configured keys."""
    algorithm = ECAlgorithm if isinstance(public_key, ec.EllipticCurvePublicKey) else RSAAlgorithm
    jwk = algorithm.to_jwk(public_key, as_dict=True)
    members = {k: jwk[k] for k in sorted(jwk) if k in {"crv", "e", "kty", "n", "x", "y"}}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class StaticKey:
    kid: str
    public_key: Any


class TokenVerifier:
    """Verifies bearer tokens with the configured key source."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        self._static: StaticKey | None = None
        self._verified: dict[str, tuple[Principal, float]] = {}  # token -> (principal, trusted until)
        if settings.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300)

    @property
    def may_block(self) -> bool:
        """True when verifying can do network I/O (fetching the JWKS)."""
        return self._jwks is not None

    def _static_key(self) -> StaticKey:
        """The PEM-configured key, or the development key (created on first use)."""
        if self._static is None:
            if self.settings.jwt_public_key_file:
                key = serialization.load_pem_public_key(self.settings.jwt_public_key_file.read_bytes())
            else:
                key = load_or_create_dev_key(self.settings.dev_key_path).public_key()
            self._static = StaticKey(kid=thumbprint(key), public_key=key)
        return self._static

    def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            try:
                return self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise Unauthorized(f"Unknown signing key: {exc}") from exc
        static = self._static_key()
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None and kid != static.kid:
            raise Unauthorized("Unknown signing key id (kid).")
        return static.public_key

    def verify(self, token: str) -> Principal:
        """The caller a token names, or Unauthorized.

        A verified token is remembered (bounded, for at most `VERIFIED_TTL` seconds and never past its
        expiry): an integration sends the same token with every call, and a signature check costs more
        than the rest of a cached compliance read. A key removed from the JWKS stops admitting the
        tokens it signed within that time.
        """
        principal = self.remembered(token)
        if principal is not None:
            return principal
        now = time.time()
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = (principal, min(expires + self.settings.jwt_leeway_seconds, now + VERIFIED_TTL))
        return principal

    def remembered(self, token: str) -> Principal | None:
        """The caller of a token verified less than `VERIFIED_TTL` seconds ago and not expired since."""
        hit = self._verified.get(token)
        if hit is not None and time.time() < hit[1]:
            return hit[0]
        return None

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("The token is not valid yet.") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("The token is for another audience.") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("The token comes from an unknown issuer.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"The token lacks the required '{exc.claim}' claim.") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise Unauthorized("The token's signing algorithm is not accepted.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The token is malformed or its signature is invalid.") from exc
        return principal_from_claims(claims), float(claims["exp"])


MAX_SUBJECT = 190  # characters: the audit log names a caller "<role>:<sub>" in at most 200
_STATE = re.compile(r"[A-Z]{2}")
_ROLES = frozenset(role.value for role in Role)
_INVALID_SCOPE = "The token's role or scope claims are invalid."


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The caller the verified claims name, checked strictly: `sub` a non-empty string (at most 190
    characters, no control characters), `role` one of the roles, `states` a list of two-letter upper-case
    codes, `provider_id` and `person_id` integers from 1 to 2147483647 (never booleans, floats or
    strings). Anything else is 401: a token is never read as meaning something it does not say."""
    sub, role, states = claims.get("sub"), claims.get("role"), claims.get("states", [])
    valid = (
        isinstance(sub, str)
        and 0 < len(sub) <= MAX_SUBJECT
        and sub.strip() != ""
        and sub.isprintable()
        and isinstance(role, str)
        and role in _ROLES
        and isinstance(states, list)
        and all(isinstance(s, str) and _STATE.fullmatch(s) for s in states)
        and all(_id_claim(claims.get(name)) for name in ("provider_id", "person_id"))
    )
    if not valid or not isinstance(sub, str) or not isinstance(role, str):  # narrowed for the type checker
        raise Unauthorized(_INVALID_SCOPE)
    try:
        return Principal(
            subject=sub,
            role=Role(role),
            states=frozenset(states),
            provider_id=claims.get("provider_id"),
            person_id=claims.get("person_id"),
        )
    except ValidationError as exc:  # a role without its scope (a board without states, ...)
        raise Unauthorized(_INVALID_SCOPE) from exc


def _id_claim(value: Any) -> bool:
    """An absent id claim, or a database id: an int (not a bool) from 1 to MAX_ID."""
    return value is None or (type(value) is int and 1 <= value <= MAX_ID)


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _load_key(path: Path) -> Any:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey))
    return key


def _new_key(kind: str) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _load_written_key(path: Path, *, seconds: float = 5.0) -> Any:
    """A key another process is writing in place: read it once it is complete."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return _load_key(path)
        except ValueError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def load_or_create_dev_key(path: Path, *, purpose: str = "development token", kind: str = "ec") -> Any:
    """A local signing key, created once (mode 0600) in DATA_DIR: P-256 for ES256, or RSA-2048 for RS256
    (`kind="rsa"`).

    Safe when several processes start at once (`peer-ce serve --workers N`): each writes a complete
    key to a file of its own and links it into place; the first link wins and the others load that key.
    """
    if path.exists():
        return _load_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _new_key(kind)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600, a name of its own
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.link(draft, path)  # atomic, and fails if the key exists
    except FileExistsError:
        return _load_key(path)  # another process created it first
    except OSError:  # a file system without hard links: create it in place, as the only writer or not at all
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _load_written_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    finally:
        os.unlink(draft)
    if purpose == "development token":
        log.warning(
            "DEVELOPMENT signing key created at %s: tokens signed with it are for local use only. "
            "Set PEER_CE_JWT_JWKS_URL or PEER_CE_JWT_PUBLIC_KEY_FILE in production.",
            path,
        )
    else:
        log.info("%s signing key created at %s", purpose, path)
    return key


def mint_dev_token(
    settings: Settings,
    *,
    role: str,
    subject: str | None = None,
    states: list[str] | None = None,
    provider_id: int | None = None,
    person_id: int | None = None,
    ttl_seconds: int = 3600,
) -> str:
    """Sign a token with the development key. Refuses when production keys are configured."""
    if not settings.uses_dev_key:
        raise RuntimeError(
            "a production key is configured (PEER_CE_JWT_JWKS_URL / PEER_CE_JWT_PUBLIC_KEY_FILE); "
            "development tokens are refused"
        )
    key = load_or_create_dev_key(settings.dev_key_path)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject or f"dev-{role}-{uuid.uuid4().hex[:8]}",
        "iat": now,
        "exp": now + ttl_seconds,
        "role": role,
    }
    if states:
        claims["states"] = [s.upper() for s in states]
    if provider_id is not None:
        claims["provider_id"] = provider_id
    if person_id is not None:
        claims["person_id"] = person_id
    kid = thumbprint(key.public_key())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})
