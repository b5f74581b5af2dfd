"""The tools that say what limits the status benchmark (bench/README.md): their figures mean something only
if they measure what they claim to.

- The framework floor (`bench/serve_app.py --floor`) keeps the whole request but the compliance read's own
  work: the token check still answers 401, and every id gets the stored document, unread and unevaluated.
- `bench/status_parts.py` times the parts of the route's own work: together they make the very documents
  the route serves.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.certifications import presenters, service
from bench.generate import Scale, generate
from bench.serve_app import floor_app
from bench.status_parts import measure
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.bench  # imports bench/: `-m "not bench"` runs the suite without it


def test_the_floor_keeps_the_token_check_and_answers_one_stored_document(app, client, admin, monkeypatch):
    monkeypatch.setattr(service, "compliance", service.compliance)  # undone after the test
    monkeypatch.setattr(presenters, "compliance_json", presenters.compliance_json)
    first = factories.certification(admin)
    other = factories.certification(admin, credential_code="ICRC-PR")
    url = "/v1/certifications/{}/compliance"
    real = admin.get(url.format(first["id"]))
    assert real.status_code == 200
    assert admin.get(url.format(other["id"])).content != real.content

    assert floor_app(app) is app
    assert admin.get(url.format(first["id"])).content == real.content  # computed once, for real
    assert client.get(url.format(first["id"])).status_code == 401
    for certification_id in (other["id"], 999_999):  # never read again
        answer = admin.get(url.format(certification_id))
        assert answer.status_code == 200 and answer.content == real.content


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the parts are those of the PostgreSQL read path")
def test_the_parts_of_a_compliance_answer_make_up_the_documents_served(tmp_path: Path) -> None:
    with throwaway_database(TEST_DATABASE_URL, tmp_path) as url:
        generate(url, Scale.parse("200"), data_dir=tmp_path / "data")
        cpu = asyncio.run(measure(url, requests=100, seed=3))  # raises unless the parts make up the documents
    assert len(cpu) == 8 and all(micros > 0 for micros in cpu.values()), cpu
