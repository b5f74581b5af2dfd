"""The shipped sample catalog: clearly sample data, loaded once, never undoing changes made through the API."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.catalog.content import CatalogContentReport, load_sample_catalog
from app.content import load_shipped_content

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "catalog" / "sample-catalog.yaml"


def _sample_providers(client) -> list[dict]:
    return [p for p in client.get("/v1/providers", params={"q": "(sample data)", "limit": 200}).json()["items"]]


def test_the_sample_catalog_is_loaded_and_says_it_is_sample_data(client):
    assert SAMPLE.read_text().startswith("# SAMPLE DATA")
    providers = _sample_providers(client)
    assert 4 <= len(providers) <= 5
    assert "attc_region" in {p["kind"] for p in providers}
    courses = [
        c
        for p in providers
        for c in client.get(f"/v1/providers/{p['id']}/courses", params={"limit": 200}).json()["items"]
    ]
    assert len(courses) >= 25
    assert {c["modality"] for c in courses} == {"in_person", "live_virtual", "self_paced"}
    assert all("sample" in c["title"].lower() and "Sample data" in c["description"] for c in courses)
    assert all(0.5 <= c["hours"] <= 6 for c in courses)
    counted = {
        a["credential_code"]
        for c in client.get("/v1/courses", params={"limit": 200}).json()["items"]
        for a in c["approvals"]
    }
    assert {"NC-CPSS", "PA-CPS", "WV-PRSS", "VA-RPRS"} <= counted


def test_loading_shipped_content_again_adds_nothing(session_factory, settings, client):
    before = client.get("/v1/courses", params={"limit": 200}).json()["items"]
    summary = load_shipped_content(session_factory, settings.content_dir)
    assert summary["topics_created"] == summary["topics_updated"] == 0
    assert summary["sample_providers_created"] == summary["sample_courses_created"] == 0
    assert summary["sample_approvals_created"] == 0
    assert client.get("/v1/courses", params={"limit": 200}).json()["items"] == before


def test_reloading_never_undoes_a_retirement_or_a_withdrawal(admin, client, db):
    provider = _sample_providers(client)[0]
    course = client.get(f"/v1/providers/{provider['id']}/courses").json()["items"][0]
    admin.post(f"/v1/courses/{course['id']}/retire")
    [approval, *_] = client.get(f"/v1/courses/{course['id']}/approvals").json()["items"]
    admin.post(
        f"/v1/courses/{course['id']}/approvals/{approval['id']}/withdraw",
        json={"withdrawn_on": "2026-01-01", "reason": "Sample approval withdrawn"},
    )
    report = CatalogContentReport()
    load_sample_catalog(db, SAMPLE, report)
    assert (report.providers_created, report.courses_created, report.approvals_created) == (0, 0, 0)
    assert client.get(f"/v1/courses/{course['id']}").json()["status"] == "retired"
    assert client.get(f"/v1/courses/{course['id']}/approvals").json()["items"][0]["withdrawn_on"] == "2026-01-01"


def test_a_course_added_to_the_sample_file_is_loaded_next_time(client, db, tmp_path):
    catalog = yaml.safe_load(SAMPLE.read_text())
    catalog["providers"][0]["courses"].append(
        {
            "external_id": "SE-NEW-999",
            "title": "A newly added sample course",
            "hours": 1,
            "modality": "self_paced",
            "topics": ["documentation"],
            "approvals": [{"credential_code": "PA-CPS"}],
        }
    )
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog))
    report = CatalogContentReport()
    load_sample_catalog(db, path, report)
    assert (report.providers_created, report.courses_created, report.approvals_created) == (0, 1, 1)
    found = client.get("/v1/courses", params={"q": "newly added", "credential_code": "PA-CPS"}).json()["items"]
    assert [c["external_id"] for c in found] == ["SE-NEW-999"] and found[0]["available_from"] == "2024-01-01"
