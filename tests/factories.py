"""Small helpers that arrange data through the public API, as a board would."""

from __future__ import annotations

import itertools

_seq = itertools.count(1)


def person(client, **overrides) -> dict:
    n = next(_seq)
    body = {"given_name": "Jordan", "family_name": f"Rivera{n}", "email": f"peer{n}@example.org", **overrides}
    response = client.post("/v1/people", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def certification(
    client,
    *,
    person_id: int | None = None,
    credential_code: str = "NC-CPSS",
    issued_on: str = "2025-03-15",
    number: str | None = None,
) -> dict:
    if person_id is None:
        person_id = person(client)["id"]
    body = {
        "person_id": person_id,
        "credential_code": credential_code,
        "number": number or f"{credential_code}-{next(_seq):05d}",
        "issued_on": issued_on,
    }
    response = client.post("/v1/certifications", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def learner(person: dict, cert: dict) -> dict:
    """How a provider names a learner: the certification's credential and number, and the family name."""
    return {
        "credential_code": cert["credential_code"],
        "certificate_number": cert["number"],
        "family_name": person["family_name"],
    }
