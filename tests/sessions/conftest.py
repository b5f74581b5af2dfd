from datetime import UTC, datetime

import pytest

from app.clock import FixedClock
from tests.catalog.helpers import new_course, new_provider

NOW = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    app.state.clock = FixedClock(NOW)


@pytest.fixture
def provider(admin):
    return new_provider(admin, name="Piedmont Peer Training Center")


@pytest.fixture
def provider_client(client, tokens, provider):
    return client.as_(tokens.provider(provider["id"]))


@pytest.fixture
def course(provider_client, provider):
    return new_course(
        provider_client,
        provider["id"],
        hours=3,
        title="Motivational interviewing for peers",
        url="https://training.example.org/mi-101",
    )
