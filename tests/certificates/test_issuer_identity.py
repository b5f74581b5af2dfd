"""The issuer's identity in production: a public https URL (did:web) and one key file for every replica, or no
start at all; rotation signs with a new key while the old one stays published."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError
from typer.testing import CliRunner

from app import cli, logs
from app.certificates.keys import did_web
from app.config import Settings, get_settings
from app.main import create_app
from tests.certificates.conftest import BASE
from tests.certificates.verifier import Web, did_web_url, verify_vc_jwt
from tests.factories import learner
from tests.support.client import ApiClient


def _private_pem(path: Path, key=None) -> Path:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def _public_pem(private: Path, path: Path) -> Path:
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def _production(tmp_path: Path, **changes) -> Settings:
    jwt_key = _public_pem(
        _private_pem(tmp_path / "idp.pem", ec.generate_private_key(ec.SECP256R1())), tmp_path / "idp-public.pem"
    )
    return Settings(
        _env_file=None,
        environment="production",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}",
        jwt_public_key_file=jwt_key,
        **changes,
    )


def test_production_refuses_to_start_without_a_public_https_url_or_an_issuer_key(tmp_path):
    key = _private_pem(tmp_path / "issuer.pem")
    refusals = [
        ({"issuer_key_file": key}, "PEER_CE_PUBLIC_BASE_URL must be the service's public https URL"),
        ({"issuer_key_file": key, "public_base_url": "http://ce.example.org"}, "PEER_CE_PUBLIC_BASE_URL must be"),
        ({"public_base_url": BASE}, "PEER_CE_ISSUER_KEY_FILE is required in production"),
        ({"public_base_url": BASE, "issuer_key_file": tmp_path / "missing.pem"}, "is not a readable file"),
    ]
    for changes, message in refusals:
        with pytest.raises(ValidationError, match=message):
            _production(tmp_path, **changes)
    settings = _production(tmp_path, public_base_url=BASE, issuer_key_file=key)
    app = create_app(settings)
    assert app.state.issuer.did == "did:web:ce.example.org" and not app.state.issuer.signing.retired
    assert not (settings.data_dir / "issuer-rs256-key.pem").exists()  # no key of its own per container


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    calls: list = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append(target))
    monkeypatch.setattr(logs, "configure_logging", lambda *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)
    jwt_key = _public_pem(_private_pem(tmp_path / "idp.pem"), tmp_path / "idp-public.pem")
    for name, value in {
        "ENVIRONMENT": "production",
        "DATA_DIR": str(tmp_path),
        "JWT_PUBLIC_KEY_FILE": str(jwt_key),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }.items():
        monkeypatch.setenv(f"PEER_CE_{name}", value)
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_the_command_refuses_production_without_an_issuer_with_a_clear_message(cli_env, monkeypatch, tmp_path):
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2 and cli_env == []
    assert "the configuration is refused" in result.output and "PEER_CE_PUBLIC_BASE_URL" in result.output
    assert "Traceback" not in result.output

    monkeypatch.setenv("PEER_CE_PUBLIC_BASE_URL", BASE)
    weak = _private_pem(tmp_path / "weak.pem", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    monkeypatch.setenv("PEER_CE_ISSUER_KEY_FILE", str(weak))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2 and cli_env == [] and "1024 bits is too small" in result.output

    monkeypatch.setenv("PEER_CE_ISSUER_KEY_FILE", str(_private_pem(tmp_path / "good.pem")))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert cli_env == ["app.main:serve_app"]


def test_a_rotated_key_signs_new_certificates_while_the_old_one_stays_published(
    tmp_path, settings, engine, session_factory, tokens, admin
):
    old_key, new_key = _private_pem(tmp_path / "issuer-2025.pem"), _private_pem(tmp_path / "issuer-2026.pem")
    retired = tmp_path / "retired"
    retired.mkdir()
    _public_pem(old_key, retired / "issuer-2025.pem")

    def client_with(**changes) -> ApiClient:
        app = create_app(settings.model_copy(update={"public_base_url": BASE, **changes}), engine=engine)
        app.state.session_factory = session_factory
        return ApiClient(app)

    person = admin.post(
        "/v1/people", json={"given_name": "Rae", "family_name": "Rotation", "email": "rae.rotation@example.org"}
    ).json()
    nc = admin.post(
        "/v1/certifications",
        json={"person_id": person["id"], "credential_code": "NC-CPSS", "number": "NC-ROT-1", "issued_on": "2025-03-15"},
    ).json()
    provider = admin.post("/v1/providers", json={"name": "Rotation ATTC"}).json()
    course = admin.post(
        f"/v1/providers/{provider['id']}/courses",
        json={
            "external_id": "rot-1",
            "title": "Rotation booster",
            "hours": 2,
            "modality": "live_virtual",
            "topics": ["ethics-and-boundaries"],
            "available_from": "2024-01-01",
        },
    ).json()

    def report(client: ApiClient, on: str) -> dict:
        body = {**learner(person, nc), "course_id": course["id"], "completed_on": on}
        completion = client.as_(tokens.provider(provider["id"])).post("/v1/completions", json=body).json()
        return client.as_(tokens.peer(person["id"])).get(f"/v1/completions/{completion['id']}/certificate").json()

    before = client_with(issuer_key_file=old_key)
    old = report(before, "2025-06-10")
    after = client_with(issuer_key_file=new_key, issuer_retired_keys_dir=retired)
    new = report(after, "2025-07-10")

    web = Web(after, "ce.example.org")
    document = after.get("/.well-known/did.json").json()
    old_kid = verify_vc_jwt(web, old["certificate"]).header["kid"]  # still verifies, from the published documents
    new_kid = verify_vc_jwt(web, new["certificate"]).header["kid"]
    assert old_kid != new_kid and document["assertionMethod"] == [new_kid, old_kid]  # the new key signs
    assert [k["kid"] for k in after.get("/.well-known/jwks.json").json()["keys"]] == [new_kid, old_kid]
    again = after.as_(tokens.peer(person["id"])).get(f"/v1/completions/{old['completion_id']}/certificate").json()
    assert again == old  # stored: never re-signed by the new key
    verdict = after.post("/v1/certificates/verify", json={"certificate": old["certificate"]}).json()
    assert verdict["valid"] and "retired key" in " ".join(verdict["reasons"])
    before.close()
    after.close()


def test_did_web_identifiers_resolve_where_the_service_serves_its_document(client):
    for base, did in (
        ("https://ce.example.org", "did:web:ce.example.org"),
        ("https://ce.example.org:8443", "did:web:ce.example.org%3A8443"),
        ("https://example.org/peer-ce/", "did:web:example.org:peer-ce"),
    ):
        assert did_web(base) == did
    assert did_web_url("did:web:ce.example.org%3A8443") == "https://ce.example.org:8443/.well-known/did.json"
    assert did_web_url("did:web:example.org:peer-ce") == "https://example.org/peer-ce/did.json"
    assert client.get("/did.json").json() == client.get("/.well-known/did.json").json()  # behind a path prefix


def test_a_certificate_of_the_previous_release_still_verifies_until_its_completion_is_voided(
    tmp_path, settings, engine, session_factory, admin
):
    """Before certificates were stored, each fetch signed a new VC 1.1 token (ES256, `kid` a thumbprint) with a
    development key in DATA_DIR: that key stays published as retired, and verification follows the completion."""
    import jwt

    from app.auth.tokens import load_or_create_dev_key, thumbprint

    person = admin.post(
        "/v1/people", json={"given_name": "Lee", "family_name": "Legacy", "email": "lee.legacy@example.org"}
    ).json()
    completion = admin.post(
        "/v1/completions",
        json={
            "person_id": person["id"],
            "title": "Conference session",
            "provider_name": "State peer conference",
            "hours": 1.5,
            "modality": "in_person",
            "completed_on": "2025-09-14",
        },
    ).json()
    legacy_key = load_or_create_dev_key(tmp_path / "issuer-signing-key.pem", purpose="certificate issuer")
    token = jwt.encode(
        {
            "iss": "http://127.0.0.1:8000",
            "sub": f"urn:peer-ce:completion:{completion['id']}",
            "jti": f"http://127.0.0.1:8000/v1/completions/{completion['id']}/certificate",
            "nbf": 1,
            "vc": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
        },
        legacy_key,
        algorithm="ES256",
        headers={"kid": thumbprint(legacy_key.public_key())},
    )
    app = create_app(settings.model_copy(update={"data_dir": tmp_path}), engine=engine)
    app.state.session_factory = session_factory
    public = ApiClient(app)  # verification is public: no token of this data directory is needed
    assert len(public.get("/.well-known/jwks.json").json()["keys"]) == 2  # the new key and the retired one
    verdict = public.post("/v1/certificates/verify", json={"certificate": token}).json()
    assert verdict["valid"] and verdict["signature_valid"] and verdict["completion_id"] == completion["id"]
    admin.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Duplicate report"})
    verdict = public.post("/v1/certificates/verify", json={"certificate": token}).json()
    assert not verdict["valid"] and verdict["voided"] and "the completion was voided" in verdict["reasons"]
    assert "Duplicate report" not in " ".join(verdict["reasons"])  # the board's free text stays with the board
    public.close()
