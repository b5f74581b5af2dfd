"""The certificate issuer: a did:web identifier on the public base URL, its signing key, and the keys it signed
with before (still published, so the certificates they signed keep verifying)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from app.auth.tokens import load_or_create_dev_key, thumbprint
from app.config import Settings

log = logging.getLogger("peer_ce.certificates")

DEV_KEY_NAME = "issuer-rs256-key.pem"
LEGACY_DEV_KEY_NAME = "issuer-signing-key.pem"  # the P-256 key that signed certificates before did:web
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


class IssuerKeyError(RuntimeError):
    """A configured issuer key cannot be used."""


def did_web(base_url: str) -> str:
    """The did:web identifier of a base URL: `https://ce.example.org` -> `did:web:ce.example.org`, a port
    percent-encoded (`did:web:localhost%3A8000`), path segments after colons (`did:web:example.org:peer-ce`)."""
    url = urlsplit(base_url)
    host = (url.hostname or "localhost").encode("idna").decode()
    if url.port is not None:
        host += f"%3A{url.port}"
    segments = [quote(s, safe="") for s in url.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def did_document_url(did: str) -> str:
    """Where a did:web DID resolves (https, as the did:web method says)."""
    parts = did.split(":")[2:]
    host = parts[0].replace("%3A", ":")
    path = "/".join(parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


@dataclass(frozen=True)
class PublicKey:
    """One key of the issuer as verifiers see it."""

    kid: str  # a DID URL: the issuer's DID, '#', the key's RFC 7638 thumbprint
    thumbprint: str
    alg: str  # RS256 or ES256
    key: Any  # the cryptography public key
    retired: bool

    @property
    def jwk(self) -> dict[str, Any]:
        algorithm = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        members = algorithm.to_jwk(self.key, as_dict=True)
        return {**members, "kid": self.kid, "alg": self.alg, "use": "sig"}


def _algorithm(key: Any, source: str) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise IssuerKeyError(f"{source}: an RSA key of {key.key_size} bits is too small; use 2048 or more")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise IssuerKeyError(f"{source}: only RSA (RS256) and P-256 (ES256) keys sign certificates")


def _public_key_file(path: Path) -> Any:
    data = path.read_bytes()
    try:
        return serialization.load_pem_public_key(data)
    except ValueError:
        try:
            return serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise IssuerKeyError(f"{path}: not a PEM public key (or unencrypted private key)") from exc


class Issuer:
    """Who signs certificates, with which key, and every key verifiers may meet in certificates."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.did = did_web(self.base_url)
        self.name = settings.issuer_name
        self._private: Any = None
        self._keys: list[PublicKey] | None = None

    # -- keys -----------------------------------------------------------------------------------------

    def load(self) -> None:
        """Read (in development: create) the keys now, so a bad key file stops the start, not a request."""
        _ = self.keys

    @property
    def keys(self) -> list[PublicKey]:
        """The signing key first, then the retired ones."""
        if self._keys is None:
            self._private, current = self._signing_key()
            keys = [current]
            for source, public in self._retired_keys():
                key = self._public(public, source, retired=True)
                if all(k.thumbprint != key.thumbprint for k in keys):
                    keys.append(key)
            self._keys = keys
        return self._keys

    @property
    def signing(self) -> PublicKey:
        return self.keys[0]

    def find(self, kid: str) -> PublicKey | None:
        """The key a JWS header names: its DID URL (or, for certificates issued before did:web, its thumbprint)."""
        return next((k for k in self.keys if kid in (k.kid, k.thumbprint)), None)

    def _public(self, public: Any, source: str, *, retired: bool) -> PublicKey:
        alg = _algorithm(public, source)
        print_ = thumbprint(public)
        return PublicKey(kid=f"{self.did}#{print_}", thumbprint=print_, alg=alg, key=public, retired=retired)

    def _signing_key(self) -> tuple[Any, PublicKey]:
        path = self.settings.issuer_key_file
        if path is not None:
            try:
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (OSError, ValueError, TypeError) as exc:
                raise IssuerKeyError(
                    f"PEER_CE_ISSUER_KEY_FILE {path}: not a readable, unencrypted PEM private key ({exc})"
                ) from exc
        else:
            private = load_or_create_dev_key(
                self.settings.data_dir / DEV_KEY_NAME, purpose="certificate issuer", kind="rsa"
            )
        key = self._public(private.public_key(), str(path or "the development issuer key"), retired=False)
        if key.alg != "RS256":
            log.warning(
                "certificates are signed with %s: Open Badges 3.0 verifiers are only required to support "
                "RS256; rotate to an RSA key (docs/completions.md)",
                key.alg,
            )
        return private, key

    def _retired_keys(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        folder = self.settings.issuer_retired_keys_dir
        if folder is not None:
            for path in sorted(folder.glob("*.pem")):
                found.append((str(path), _public_key_file(path)))
        legacy = self.settings.data_dir / LEGACY_DEV_KEY_NAME
        if self.settings.issuer_key_file is None and legacy.is_file():
            found.append((str(legacy), _public_key_file(legacy)))
        return found

    # -- signing and publishing ----------------------------------------------------------------------

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of these claims with the signing key; its header holds only alg, kid and typ.

        RS256 (PKCS#1 v1.5) is deterministic: the same claims give the same token.
        """
        key = self.signing
        return jwt.encode(claims, self._private, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"})

    def did_document(self) -> dict[str, Any]:
        """The issuer's DID document: every key, current and retired, as a JsonWebKey2020 assertion method."""
        methods = [
            {
                "id": k.kid,
                "type": "JsonWebKey2020",
                "controller": self.did,
                "publicKeyJwk": {m: v for m, v in k.jwk.items() if m not in ("kid", "use")},
            }
            for k in self.keys
        ]
        return {
            "@context": DID_CONTEXT,
            "id": self.did,
            "verificationMethod": methods,
            "assertionMethod": [k.kid for k in self.keys],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk for k in self.keys]}
