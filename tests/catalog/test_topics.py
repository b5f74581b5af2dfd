"""The booster topic taxonomy: public, loaded from content/topics.yaml, never losing a topic in use."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import select

from app.catalog.content import CatalogContentReport, load_topics
from app.catalog.models import Topic
from tests.catalog.helpers import new_course, new_provider

REQUIRED = {
    "mental-health-substance-use",
    "co-occurring-disorders",
    "trauma-informed-practice",
    "cultural-competence",
    "lgbtq-affirming-support",
    "suicide-prevention",
    "harm-reduction",
    "crisis-support",
    "ethics-and-boundaries",
    "self-disclosure",
    "supervision",
    "documentation",
    "whole-health-wellness",
    "transition-age-youth",
    "recovery-oriented-practice",
    "medication-supported-recovery",
    "system-navigation",
    "human-trafficking",
    "health-equity",
    "law-and-ethics",
    "peer-support-core",
}


def test_anyone_can_read_the_topic_taxonomy(client):
    response = client.get("/v1/topics")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {t["id"] for t in items} >= REQUIRED
    assert [t["id"] for t in items] == sorted(t["id"] for t in items)
    assert all(t["name"] and len(t["description"]) > 20 for t in items)


def test_every_topic_a_shipped_rule_set_names_exists(client):
    topics = {t["id"] for t in client.get("/v1/topics").json()["items"]}
    named = set()
    for credential in client.get("/v1/credentials").json()["items"]:
        for category in credential["current"]["rules"]["requirements"]["categories"]:
            named.update(category.get("topics", []))
    assert named and named <= topics


def _write(tmp_path: Path, topics: list[dict]) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump({"topics": topics}))
    return path


def test_reloading_topics_updates_changed_names_and_adds_new_ids(db, tmp_path):
    current = [{"id": t.id, "name": t.name, "description": t.description} for t in db.exec(select(Topic))]
    renamed = [
        {**t, "name": "Suicide prevention and postvention"} if t["id"] == "suicide-prevention" else t for t in current
    ]
    report = CatalogContentReport()
    load_topics(
        db,
        _write(
            tmp_path,
            [
                *renamed,
                {
                    "id": "gambling-disorder",
                    "name": "Gambling disorder",
                    "description": "Supporting people affected by gambling.",
                },
            ],
        ),
        report,
    )
    assert report.topics_created == ["gambling-disorder"] and report.topics_updated == ["suicide-prevention"]
    assert db.get(Topic, "suicide-prevention").name == "Suicide prevention and postvention"

    again = CatalogContentReport()
    load_topics(db, _write(tmp_path, renamed), again)
    assert again.topics_created == [] and again.topics_updated == []


def test_a_topic_dropped_from_the_file_is_kept_for_the_courses_using_it(db, tmp_path, admin):
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], topics=["harm-reduction"])
    load_topics(
        db,
        _write(
            tmp_path,
            [
                {
                    "id": "peer-support-core",
                    "name": "Peer support core",
                    "description": "The foundations of the peer role.",
                }
            ],
        ),
        CatalogContentReport(),
    )
    assert db.get(Topic, "harm-reduction") is not None
    assert admin.get(f"/v1/courses/{course['id']}").json()["topics"] == ["harm-reduction"]
