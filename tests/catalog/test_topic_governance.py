"""The topic taxonomy grows through the API: admins add topics, providers propose them and an admin accepts
or rejects each proposal; only accepted topics tag courses (issue 19)."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.catalog.content import CatalogContentReport, load_topics
from tests.catalog.helpers import audit_entries, course_body, new_provider, problem

MI = {
    "id": "motivational-interviewing",
    "name": "Motivational interviewing",
    "description": "Evoking a person's own reasons for change in peer support conversations.",
}
WELLBEING = {
    "id": "peer-workforce-wellbeing",
    "name": "Peer workforce wellbeing",
    "description": "Preventing burnout and secondary trauma among peer specialists.",
}


def _ids(client, **params) -> list[str]:
    response = client.get("/v1/topics", params=params)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def test_an_admin_adds_a_topic_that_courses_may_use_at_once(admin, client, tokens):
    provider = new_provider(admin)
    owner = client.as_(tokens.provider(provider["id"]))
    refused = owner.post(f"/v1/providers/{provider['id']}/courses", json=course_body(topics=[MI["id"]]))
    assert "unknown topic(s): motivational-interviewing" in problem(refused, 422)["detail"]
    created = admin.post("/v1/topics", json=MI)
    assert created.status_code == 201, created.text
    assert created.json() | {} == {
        **MI,
        "status": "accepted",
        "proposed_by_provider_id": None,
        "review_reason": None,
        "reviewed_at": None,
    }
    assert created.headers["location"] == "/v1/topics/motivational-interviewing"
    assert MI["id"] in _ids(client) and client.get("/v1/topics/motivational-interviewing").json()["name"] == MI["name"]
    course = owner.post(f"/v1/providers/{provider['id']}/courses", json=course_body(topics=[MI["id"]]))
    assert course.status_code == 201 and course.json()["topics"] == [MI["id"]]
    [entry] = audit_entries(admin, "topic", MI["id"])
    assert entry["action"] == "create" and entry["changes"]["name"] == [None, MI["name"]]
    problem(admin.post("/v1/topics", json=MI), 409)
    problem(admin.post("/v1/topics", json={**MI, "id": "trauma-informed-practice"}), 409)


def test_a_providers_proposal_waits_for_an_admin_and_validates_nowhere_meanwhile(admin, client, tokens):
    provider, other = new_provider(admin), new_provider(admin)
    owner, stranger = client.as_(tokens.provider(provider["id"])), client.as_(tokens.provider(other["id"]))
    proposed = owner.post("/v1/topics", json=WELLBEING)
    assert proposed.status_code == 202, proposed.text
    assert (proposed.json()["status"], proposed.json()["proposed_by_provider_id"]) == ("proposed", provider["id"])
    assert WELLBEING["id"] not in _ids(client) and WELLBEING["id"] not in _ids(owner)
    refused = owner.post(f"/v1/providers/{provider['id']}/courses", json=course_body(topics=[WELLBEING["id"]]))
    assert "counts once an admin accepts it" in problem(refused, 422)["detail"]
    # the proposal is the proposer's and the admins' to see
    assert _ids(owner, status="proposed") == [WELLBEING["id"]] and _ids(admin, status="proposed") == [WELLBEING["id"]]
    assert _ids(stranger, status="proposed") == []
    problem(client.get("/v1/topics", params={"status": "proposed"}), 403)
    problem(client.as_(tokens.board("NC")).get("/v1/topics", params={"status": "proposed"}), 403)
    assert owner.get(f"/v1/topics/{WELLBEING['id']}").json()["status"] == "proposed"
    for caller in (client, stranger, client.as_(tokens.board("NC"))):
        problem(caller.get(f"/v1/topics/{WELLBEING['id']}"), 404)
    # nobody proposes it twice, and only an admin reviews it
    taken = problem(stranger.post("/v1/topics", json=WELLBEING), 409)["detail"]
    assert taken == f"Topic id {WELLBEING['id']!r} is taken; choose another id."  # not whose, nor why
    problem(owner.post(f"/v1/topics/{WELLBEING['id']}/review", json={"decision": "accept"}), 403)
    problem(client.as_(tokens.board("NC")).post("/v1/topics", json=MI), 403)
    problem(client.post("/v1/topics", json=MI), 401)
    assert [e["action"] for e in audit_entries(admin, "topic", WELLBEING["id"])] == ["propose"]


def test_an_admin_rejects_with_a_reason_the_provider_sees_and_may_still_accept(admin, client, tokens):
    provider = new_provider(admin)
    owner = client.as_(tokens.provider(provider["id"]))
    assert owner.post("/v1/topics", json=WELLBEING).status_code == 202
    url = f"/v1/topics/{WELLBEING['id']}/review"
    assert problem(admin.post(url, json={"decision": "reject"}), 422)["errors"][0]["field"] == "body.reason"
    rejected = admin.post(url, json={"decision": "reject", "reason": "Covered by whole-health-wellness"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert owner.get("/v1/topics", params={"status": "rejected"}).json()["items"][0]["review_reason"] == (
        "Covered by whole-health-wellness"
    )
    again = owner.post("/v1/topics", json=WELLBEING)
    assert "rejected: Covered by whole-health-wellness" in problem(again, 409)["detail"]
    problem(admin.post(url, json={"decision": "reject", "reason": "Still no"}), 409)

    accepted = admin.post(url, json={"decision": "accept", "reason": "Three centers asked for it"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert WELLBEING["id"] in _ids(client)
    course = owner.post(f"/v1/providers/{provider['id']}/courses", json=course_body(topics=[WELLBEING["id"]]))
    assert course.status_code == 201, course.text
    report = admin.get("/v1/reports/topics").json()
    assert WELLBEING["id"] in [row["topic_id"] for row in report["items"]]
    problem(admin.post(url, json={"decision": "accept"}), 409)
    problem(admin.post("/v1/topics/never-proposed/review", json={"decision": "accept"}), 404)
    actions = [e["action"] for e in audit_entries(admin, "topic", WELLBEING["id"])]
    assert actions == ["review:accept", "review:reject", "propose"]


def test_topic_ids_and_fields_are_checked(admin):
    for bad, field in (
        ({**MI, "id": "Motivational Interviewing"}, "body.id"),
        ({**MI, "name": "M"}, "body.name"),
        ({**MI, "description": "short"}, "body.description"),
        ({**MI, "extra": 1}, "body.extra"),
        ({**MI, "id": "x" * 65}, "body.id"),
    ):
        assert problem(admin.post("/v1/topics", json=bad), 422)["errors"][0]["field"] == field
    problem(admin.get("/v1/topics", params={"status": "deleted"}), 422)
    problem(admin.get("/v1/topics/Not_A_Slug"), 422)


def test_shipping_a_proposed_topic_accepts_the_proposal(admin, client, tokens, db, tmp_path: Path):
    owner = client.as_(tokens.provider(new_provider(admin)["id"]))
    assert owner.post("/v1/topics", json=WELLBEING).status_code == 202
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump({"topics": [WELLBEING]}))
    report = CatalogContentReport()
    load_topics(db, path, report)
    assert report.topics_created == [WELLBEING["id"]]
    assert owner.get(f"/v1/topics/{WELLBEING['id']}").json()["status"] == "accepted"
    assert owner.get("/v1/topics", params={"status": "proposed"}).json()["items"] == []


def test_a_rule_set_names_only_accepted_topics(admin, client, tokens):
    rules = admin.get("/v1/credentials/NC-CPSS").json()["current"]["rules"]
    rules["requirements"]["categories"] = [
        *rules["requirements"]["categories"],
        {"category": "motivational-interviewing", "min_hours": 1, "topics": [MI["id"]]},
    ]
    refused = problem(admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=rules), 422)
    assert "motivational-interviewing" in refused["detail"]
    assert refused["errors"][0]["field"].startswith("body.requirements.categories.")
    owner = client.as_(tokens.provider(new_provider(admin)["id"]))
    assert owner.post("/v1/topics", json=MI).status_code == 202  # a proposal is not enough
    problem(admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=rules), 422)
    assert admin.post(f"/v1/topics/{MI['id']}/review", json={"decision": "accept"}).status_code == 200
    assert admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=rules).status_code == 200
