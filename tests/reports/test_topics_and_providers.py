"""CE demand by topic and provider activity, each recomputed here from what the other endpoints say."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from tests.catalog.helpers import problem
from tests.reports.conftest import TODAY
from tests.reports.helpers import csv_rows, dec, pages

PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}
OPEN = {"in_progress", "due_soon", "overdue"}


def _holders(env, states) -> dict[int, set[str]]:
    """person id -> the credentials they hold in these states (all states when None)."""
    out: dict[int, set[str]] = defaultdict(set)
    for c in pages(env.admin, "/v1/certifications", limit=100):
        if states is None or c["state"] in states:
            out[c["person"]["id"]].add(c["credential_code"])
    return out


def _completions(env, people, start: str, end: str) -> list[dict]:
    """Accepted completions of these people with a course, completed in [start, end] (as an admin lists them)."""
    return [
        k
        for k in pages(env.admin, "/v1/completions", limit=100, status="accepted")
        if k["person_id"] in people and k["course_id"] and start <= k["completed_on"] <= end
    ]


def _course(env, course_id: int, cache: dict) -> dict:
    if course_id not in cache:
        cache[course_id] = env.admin.get(f"/v1/courses/{course_id}").json()
    return cache[course_id]


@pytest.mark.parametrize("states", [None, ("NC",), ("PA", "VA")], ids=["admin", "board NC", "board PA and VA"])
def test_completed_hours_completions_and_learners_per_topic_in_the_period(env, states):
    client = env.admin if states is None else env.board(*states)
    body = client.get("/v1/reports/topics", params=PERIOD).json()
    assert (body["from"], body["to"], body["as_of"]) == ("2025-01-01", "2025-12-31", TODAY.isoformat())
    people = _holders(env, states)
    if states is None:
        people |= {k["person_id"]: set() for k in pages(env.admin, "/v1/completions", limit=100)}
    hours: Counter = Counter()
    count: Counter = Counter()
    learners: dict[str, set[int]] = defaultdict(set)
    cache: dict = {}
    for k in _completions(env, people, PERIOD["from"], PERIOD["to"]):
        for topic in _course(env, k["course_id"], cache)["topics"]:
            hours[topic] += dec(k["hours"])
            count[topic] += 1
            learners[topic].add(k["person_id"])
    topics = {t["id"] for t in env.client.get("/v1/topics").json()["items"]}
    assert {t["topic_id"] for t in body["items"]} == topics  # every topic of the taxonomy, zeros included
    for t in body["items"]:
        assert (dec(t["completed_hours"]), t["completions"], t["learners"]) == (
            dec(hours[t["topic_id"]]),
            count[t["topic_id"]],
            len(learners[t["topic_id"]]),
        ), t
    assert sum(t["completions"] for t in body["items"]) > 0


@pytest.mark.parametrize("states", [None, ("NC",), ("PA", "VA")], ids=["admin", "board NC", "board PA and VA"])
def test_unmet_hours_are_the_open_cycles_category_gaps_on_the_topics_that_close_them(env, states):
    client = env.admin if states is None else env.board(*states)
    body = client.get("/v1/reports/topics").json()
    expected: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for c in pages(client, "/v1/certifications", limit=100):
        if c["status"] not in OPEN:
            continue
        compliance = client.get(f"/v1/certifications/{c['id']}/compliance").json()
        for r in compliance["categories"]:
            if r["remaining_hours"] > 0:
                expected[(c["credential_code"], r["category"])][0] += dec(r["remaining_hours"])
                expected[(c["credential_code"], r["category"])][1] += 1
    got = {
        (d["credential_code"], d["category"]): [dec(d["unmet_hours"]), d["certifications"]] for d in body["categories"]
    }
    assert got == dict(expected)
    per_topic: Counter = Counter()
    for d in body["categories"]:
        rules = env.client.get(f"/v1/credentials/{d['credential_code']}").json()["current"]["rules"]
        declared = next(c for c in rules["requirements"]["categories"] if c["category"] == d["category"])
        assert set(declared.get("topics", [])) <= set(d["topics"])
        for topic in d["topics"]:
            per_topic[topic] += dec(d["unmet_hours"])
    assert {t["topic_id"]: dec(t["unmet_hours"]) for t in body["items"] if t["unmet_hours"]} == dict(per_topic)
    if states is None or "PA" in states:
        assert per_topic["peer-support-core"] > 0 and per_topic["law-and-ethics"] > 0


def test_an_approval_tag_puts_its_courses_topics_on_a_category(env):
    """VA-RPRS names no topic for ethics: the courses the VA board tagged ethics say which topics close it."""
    env.sweep(date(2026, 1, 6))
    admin = env.admin
    admin.post(
        f"/v1/courses/{env.world['ethics']}/approvals/{env.world['ethics_VA-RPRS']}/withdraw",
        json={"withdrawn_on": "2026-01-06", "reason": "Withdrawn in the reports tests"},
    )
    person = admin.post(
        "/v1/people", json={"given_name": "Vera", "family_name": "Newva", "email": "vera@reports.example"}
    ).json()
    admin.post(
        "/v1/certifications",
        json={"person_id": person["id"], "credential_code": "VA-RPRS", "number": "RPT-vera", "issued_on": "2025-12-01"},
    )
    va = env.board("VA").get("/v1/reports/topics").json()
    ethics = next(d for d in va["categories"] if d["category"] == "ethics")
    tagged = pages(env.client, "/v1/courses", credential_code="VA-RPRS", category="ethics", limit=100)
    assert env.world["ethics"] not in {c["id"] for c in tagged} and env.world["tag_only"] in {c["id"] for c in tagged}
    assert ethics["topics"] == sorted({t for c in tagged for t in c["topics"]})
    assert "cultural-competence" in ethics["topics"]  # the topic of a course the VA board tagged ethics
    assert ethics["certifications"] == 1 and dec(ethics["unmet_hours"]) == Decimal("2.00")


@pytest.mark.parametrize("states", [None, ("NC",), ("PA", "VA")], ids=["admin", "board NC", "board PA and VA"])
def test_supply_is_the_published_courses_approved_today_in_scope(env, states):
    client = env.admin if states is None else env.board(*states)
    body = client.get("/v1/reports/topics").json()
    codes = [
        c["code"] for c in env.client.get("/v1/credentials").json()["items"] if states is None or c["state"] in states
    ]
    courses: dict[int, dict] = {}
    for code in codes:
        for course in pages(env.client, "/v1/courses", credential_code=code, limit=100):
            courses[course["id"]] = course
    hours: Counter = Counter()
    count: Counter = Counter()
    for course in courses.values():
        for topic in course["topics"]:
            hours[topic] += dec(course["hours"])
            count[topic] += 1
    for t in body["items"]:
        assert (dec(t["supply_hours"]), t["supply_courses"]) == (dec(hours[t["topic_id"]]), count[t["topic_id"]]), t
    harm = next(t for t in body["items"] if t["topic_id"] == "harm-reduction")
    suicide = next(t for t in body["items"] if t["topic_id"] == "suicide-prevention")
    assert not {env.world["gone"], env.world["retired"], env.world["draft"]} & set(courses)
    assert harm["supply_courses"] == count["harm-reduction"]
    assert suicide["supply_courses"] == count["suicide-prevention"]


def test_a_training_center_sees_demand_in_the_states_its_courses_are_approved_in(env):
    alder = env.provider("alder").get("/v1/reports/topics", params=PERIOD)
    birch = env.provider("birch").get("/v1/reports/topics", params=PERIOD)
    assert alder.json()["states"] == ["NC", "PA", "VA"] and birch.json()["states"] == ["NC", "VA"]
    as_board = env.board("NC", "VA").get("/v1/reports/topics", params=PERIOD).json()
    assert birch.json()["items"] == as_board["items"] and birch.json()["categories"] == as_board["categories"]
    assert env.provider("birch").get("/v1/reports/topics", params={"state": "PA"}).json()["states"] == []
    problem(env.as_(env.tokens.peer(env.world["nina"])).get("/v1/reports/topics"), 403)


def test_topics_csv_has_the_same_numbers(env):
    client = env.board("PA")
    body = client.get("/v1/reports/topics", params=PERIOD).json()
    rows = csv_rows(client.get("/v1/reports/topics", params={**PERIOD, "format": "csv"}))
    assert [
        (r["topic_id"], dec(r["completed_hours"]), int(r["learners"]), dec(r["unmet_hours"]), dec(r["supply_hours"]))
        for r in rows
    ] == [
        (t["topic_id"], dec(t["completed_hours"]), t["learners"], dec(t["unmet_hours"]), dec(t["supply_hours"]))
        for t in body["items"]
    ]


def test_periods_are_bounded_and_checked(env):
    admin = env.admin
    default = admin.get("/v1/reports/topics").json()
    assert (default["from"], default["to"]) == ("2025-01-06", "2026-01-05")  # the year up to today
    for path in ("/v1/reports/topics", "/v1/reports/providers"):
        assert problem(admin.get(path, params={"from": "2025-06-01", "to": "2025-05-31"}), 422)["errors"]
        problem(admin.get(path, params={"from": "2020-01-01", "to": "2025-12-31"}), 422)
        problem(admin.get(path, params={"from": "not-a-date"}), 422)
        assert admin.get(path, params={"from": "2023-01-01", "to": "2025-12-31"}).status_code == 200


# --- provider activity ------------------------------------------------------------------------------


def _activity(env, completions: list[dict]) -> dict[int, dict]:
    """provider id -> {completions, learners, hours, courses: {course id: (completions, learners, hours)}}."""
    cache: dict = {}
    out: dict[int, dict] = {}
    for k in completions:
        provider = _course(env, k["course_id"], cache)["provider_id"]
        p = out.setdefault(provider, {"n": 0, "people": set(), "hours": Decimal(0), "courses": {}})
        p["n"] += 1
        p["people"].add(k["person_id"])
        p["hours"] += dec(k["hours"])
        c = p["courses"].setdefault(k["course_id"], [0, set(), Decimal(0)])
        c[0] += 1
        c[1].add(k["person_id"])
        c[2] += dec(k["hours"])
    return {
        pid: {
            "completions": p["n"],
            "learners": len(p["people"]),
            "hours": p["hours"],
            "courses": {cid: (c[0], len(c[1]), c[2]) for cid, c in p["courses"].items()},
        }
        for pid, p in out.items()
    }


def _report(body: dict) -> dict[int, dict]:
    return {
        p["provider_id"]: {
            "completions": p["completions"],
            "learners": p["learners"],
            "hours": dec(p["hours"]),
            "courses": {c["course_id"]: (c["completions"], c["learners"], dec(c["hours"])) for c in p["courses"]},
        }
        for p in body["items"]
    }


@pytest.mark.parametrize("states", [None, ("NC",), ("PA",)], ids=["admin", "board NC", "board PA"])
def test_a_board_sees_every_provider_its_peers_completed_courses_with(env, states):
    client = env.admin if states is None else env.board(*states)
    body = client.get("/v1/reports/providers", params=PERIOD).json()
    people = (
        _holders(env, states)
        if states
        else {k["person_id"]: set() for k in pages(env.admin, "/v1/completions", limit=100)}
    )
    assert _report(body) == _activity(env, _completions(env, people, PERIOD["from"], PERIOD["to"]))
    names = {p["name"] for p in body["items"]}
    assert "Birch Reports Training Center" in names  # sam, certified in NC and PA, took Birch's trauma course


def test_a_training_center_sees_its_own_activity_only(env):
    w = env.world
    for key in ("alder", "birch"):
        body = env.provider(key).get("/v1/reports/providers", params=PERIOD).json()
        assert [p["provider_id"] for p in body["items"]] == [w[key]]
        everyone = {k["person_id"]: set() for k in pages(env.admin, "/v1/completions", limit=100)}
        expected = _activity(env, _completions(env, everyone, PERIOD["from"], PERIOD["to"]))
        assert _report(body) == {w[key]: expected[w[key]]}
    only_va = env.provider("alder").get("/v1/reports/providers", params={**PERIOD, "state": "VA"}).json()
    assert _report(only_va) == _activity(env, _completions(env, _holders(env, ("VA",)), PERIOD["from"], PERIOD["to"]))


def test_voided_and_pending_completions_and_other_periods_do_not_count(env):
    whole = env.admin.get("/v1/reports/providers", params={"from": "2025-10-01", "to": "2025-12-31"}).json()
    courses = {c["course_id"]: c for p in whole["items"] for c in p["courses"]}
    assert env.world["big"] not in courses  # its only completion in the period was voided
    assert courses[env.world["tag_only"]]["completions"] == 1
    assert env.world["trauma"] not in courses  # the self-report of 2025-11-01 waits for review
    early = env.admin.get("/v1/reports/providers", params={"from": "2024-01-01", "to": "2024-12-31"}).json()
    assert {c["course_id"] for p in early["items"] for c in p["courses"]} == {env.world["big"], env.world["ethics"]}


def test_providers_csv_has_a_row_per_provider_and_per_course(env):
    body = env.board("NC").get("/v1/reports/providers", params=PERIOD).json()
    rows = csv_rows(env.board("NC").get("/v1/reports/providers", params={**PERIOD, "format": "csv"}))
    expected = []
    for p in body["items"]:
        expected.append((str(p["provider_id"]), "", "(all courses)", str(p["completions"]), dec(p["hours"])))
        expected += [
            (str(p["provider_id"]), str(c["course_id"]), c["title"], str(c["completions"]), dec(c["hours"]))
            for c in p["courses"]
        ]
    assert [
        (r["provider_id"], r["course_id"], r["course_title"], r["completions"], dec(r["hours"])) for r in rows
    ] == expected
