"""Certificates as a wallet and a verifier see them: the app serves a public https base URL, and the checks use
only the official OB 3.0 schema, joserfc and what the app publishes, never peer-ce's own code."""

from __future__ import annotations

import pytest

from tests import factories
from tests.catalog.helpers import new_course, new_provider
from tests.support.apps import routed_app

BASE = "https://ce.example.org"


@pytest.fixture
def app(settings, engine, session_factory):
    app = routed_app(settings.model_copy(update={"public_base_url": BASE}), engine)
    app.state.session_factory = session_factory
    return app


@pytest.fixture
def provider(admin):
    return new_provider(admin)


@pytest.fixture
def provider_client(client, tokens, provider):
    return client.as_(tokens.provider(provider["id"]))


@pytest.fixture
def course(provider_client, provider):
    return new_course(provider_client, provider["id"], hours=3, available_from="2024-01-01")


@pytest.fixture
def peer(admin):
    """A person certified in NC (no approval needed) and VA (approved courses only)."""
    person = factories.person(admin)
    nc = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    va = factories.certification(admin, person_id=person["id"], credential_code="VA-RPRS", issued_on="2025-02-01")
    return {"person": person, "nc": nc, "va": va}
