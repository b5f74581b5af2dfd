"""Rosters the way training centers keep them: their own course ids, what each row created, and lists of
their completions by course and date that name the learners they reported (issue 19)."""

from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem

HEADER = "credential_code,certificate_number,family_name,course_external_id,completed_on,hours\r\n"


def _roster(client, text, dry_run=False):
    return client.post(
        "/v1/completions/import",
        params={"dry_run": str(dry_run).lower()},
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def _line(person, cert, external_id, on, hours=""):
    return f"{cert['credential_code']},{cert['number']},{person['family_name']},{external_id},{on},{hours}\r\n"


def test_a_roster_by_the_centers_own_course_ids_lists_what_it_created(admin, provider_client, course, peer):
    other = factories.person(admin, given_name="Mina", family_name="Okafor")
    other_cert = factories.certification(admin, person_id=other["id"], credential_code="PA-CPS")
    text = (
        HEADER
        + _line(peer["person"], peer["nc"], course["external_id"], "2025-06-10")
        + _line(other, other_cert, course["external_id"], "2025-06-10", "1.5")
    )
    dry = _roster(provider_client, text, dry_run=True).json()
    assert [(r["outcome"], r["completion_id"], r["course_id"]) for r in dry["items"]] == [
        ("created", None, course["id"]),
        ("created", None, course["id"]),
    ]

    report = _roster(provider_client, text).json()
    assert report["created"] == 2
    ids = [r["completion_id"] for r in report["items"]]
    assert [r["outcome"] for r in report["items"]] == ["created", "created"] and all(ids) and len(set(ids)) == 2
    assert [r["course_external_id"] for r in report["items"]] == [course["external_id"]] * 2
    first = provider_client.get(f"/v1/completions/{ids[0]}").json()
    assert (first["person_id"], first["course_id"], first["completed_on"]) == (
        peer["person"]["id"],
        course["id"],
        "2025-06-10",
    )
    assert provider_client.get(f"/v1/completions/{ids[1]}").json()["hours"] == 1.5

    # posted again: nothing new, and each row names the completion already recorded, ready to void
    again = _roster(provider_client, text).json()
    assert [(r["outcome"], r["completion_id"]) for r in again["items"]] == [("duplicate", i) for i in ids]
    voided = provider_client.post(f"/v1/completions/{ids[1]}/void", json={"reason": "Left after an hour"})
    assert voided.status_code == 200 and voided.json()["status"] == "voided"


def test_a_roster_entry_is_audited_with_the_ids_it_created(admin, provider_client, course, peer):
    text = HEADER + _line(peer["person"], peer["nc"], course["external_id"], "2025-06-11")
    [row] = _roster(provider_client, text).json()["items"]
    entries = admin.get("/v1/audit", params={"entity": "roster"}).json()["items"]
    assert any(e["changes"].get("completion_ids") == [[row["completion_id"], row["completion_id"]]] for e in entries), (
        entries
    )


def test_course_external_ids_name_only_the_callers_own_courses(admin, provider_client, course, peer):
    foreign = new_course(admin, new_provider(admin)["id"], external_id="THEIRS-1")
    text = (
        HEADER
        + _line(peer["person"], peer["nc"], foreign["external_id"], "2025-06-10")
        + _line(peer["person"], peer["nc"], "NO-SUCH", "2025-06-10")
    )
    body = problem(_roster(provider_client, text), 422)
    errors = {r["row"]: r["errors"] for r in body["report"]["items"]}
    assert errors == {
        1: ["you have no course with external_id 'THEIRS-1'"],
        2: ["you have no course with external_id 'NO-SUCH'"],
    }
    # an admin or a board names a course by its id: external ids are each provider's own
    body = problem(_roster(admin, HEADER + _line(peer["person"], peer["nc"], course["external_id"], "2025-06-10")), 422)
    assert "give course_id" in body["report"]["items"][0]["errors"][0]
    both = (
        "credential_code,certificate_number,family_name,course_id,course_external_id,completed_on\r\n"
        f"NC-CPSS,{peer['nc']['number']},{peer['person']['family_name']},{course['id']},"
        f"{course['external_id']},2025-06-10\r\n"
    )
    assert "one of them" in problem(_roster(provider_client, both), 422)["report"]["items"][0]["errors"][0]
    neither = "credential_code,certificate_number,family_name,completed_on\r\nNC-CPSS,X,Y,2025-06-10\r\n"
    assert "course_external_id" in problem(_roster(provider_client, neither), 422)["detail"]
    assert provider_client.get("/v1/completions").json()["items"] == []


def test_a_single_completion_by_the_centers_course_id(admin, provider_client, course, peer):
    body = {
        **factories.learner(peer["person"], peer["nc"]),
        "course_external_id": course["external_id"],
        "completed_on": "2025-06-10",
    }
    created = provider_client.post("/v1/completions", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["course_id"] == course["id"]
    assert created.json()["learner"] == {
        "given_name": peer["person"]["given_name"],
        "family_name": peer["person"]["family_name"],
        "credential_code": "NC-CPSS",
        "certificate_number": peer["nc"]["number"],
    }
    unknown = provider_client.post("/v1/completions", json={**body, "course_external_id": "NOPE"})
    assert problem(unknown, 422)["errors"][0]["field"] == "body.course_external_id"
    by_admin = admin.post(
        "/v1/completions",
        json={
            "person_id": peer["person"]["id"],
            "course_external_id": course["external_id"],
            "completed_on": "2025-06-11",
        },
    )
    assert "give course_id" in problem(by_admin, 422)["detail"]
    both = provider_client.post("/v1/completions", json={**body, "course_id": course["id"]})
    assert problem(both, 422)


def test_provider_lists_filter_by_course_and_date_and_name_its_learners(admin, provider, provider_client, course, peer):
    second = new_course(provider_client, provider["id"], hours=2, available_from="2024-01-01")
    other = factories.person(admin, given_name="Mina")
    other_cert = factories.certification(admin, person_id=other["id"], credential_code="PA-CPS")
    text = (
        "credential_code,certificate_number,family_name,course_id,completed_on\r\n"
        f"NC-CPSS,{peer['nc']['number']},{peer['person']['family_name']},{course['id']},2025-05-01\r\n"
        f"NC-CPSS,{peer['nc']['number']},{peer['person']['family_name']},{course['id']},2025-06-01\r\n"
        f"PA-CPS,{other_cert['number']},{other['family_name']},{second['id']},2025-06-15\r\n"
    )
    ids = [r["completion_id"] for r in _roster(provider_client, text).json()["items"]]
    # named by person_id later (a learner it has reported): still listed with the number it gave first
    later = provider_client.post(
        "/v1/completions",
        json={"person_id": peer["person"]["id"], "course_id": second["id"], "completed_on": "2025-07-01"},
    )
    assert later.status_code == 201, later.text
    ids.append(later.json()["id"])

    def listed(**params):
        response = provider_client.get("/v1/completions", params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    assert [c["id"] for c in listed(course_id=course["id"])] == ids[:2]
    assert [c["id"] for c in listed(course_external_id=second["external_id"])] == [ids[2], ids[3]]
    assert [c["id"] for c in listed(**{"from": "2025-06-01", "to": "2025-06-30"})] == ids[1:3]
    assert [c["id"] for c in listed(course_id=course["id"], **{"from": "2025-05-15"})] == [ids[1]]
    assert [c["id"] for c in listed(order="newest")] == ids[::-1]
    assert listed(course_external_id="NO-SUCH") == []
    learners = {c["id"]: c["learner"] for c in listed()}
    assert (
        learners[ids[0]]
        == learners[ids[3]]
        == {
            "given_name": peer["person"]["given_name"],
            "family_name": peer["person"]["family_name"],
            "credential_code": "NC-CPSS",
            "certificate_number": peer["nc"]["number"],
        }
    )
    assert learners[ids[2]]["certificate_number"] == other_cert["number"] and learners[ids[2]]["given_name"] == "Mina"
    # the peer's VA certification, which the provider never named, appears nowhere
    assert peer["va"]["number"] not in provider_client.get("/v1/completions").text

    reversed_period = provider_client.get("/v1/completions", params={"from": "2025-07-01", "to": "2025-06-01"})
    assert problem(reversed_period, 422)["errors"][0]["field"] == "query.from"
    assert problem(admin.get("/v1/completions", params={"course_external_id": "X"}), 422)


def test_a_provider_learns_no_name_from_completions_others_reported_on_its_courses(
    admin, provider_client, course, peer, tokens, client
):
    by_admin = admin.post(
        "/v1/completions",
        json={**factories.learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    assert by_admin.status_code == 201
    [seen] = provider_client.get("/v1/completions", params={"course_id": course["id"]}).json()["items"]
    assert seen["id"] == by_admin.json()["id"] and seen["learner"] is None
    assert peer["person"]["family_name"] not in provider_client.get("/v1/completions").text
    # a board sees the name, and the certification only when it is one of its states'
    va_board = client.as_(tokens.board("VA"))
    [va_view] = va_board.get("/v1/completions", params={"course_id": course["id"]}).json()["items"]
    assert va_view["learner"]["family_name"] == peer["person"]["family_name"]
    assert va_view["learner"]["certificate_number"] is None
    nc_board = client.as_(tokens.board("NC"))
    [nc_view] = nc_board.get("/v1/completions", params={"course_id": course["id"]}).json()["items"]
    assert nc_view["learner"]["certificate_number"] == peer["nc"]["number"]
    peer_view = client.as_(tokens.peer(peer["person"]["id"])).get("/v1/completions").json()["items"]
    assert [c["learner"] for c in peer_view] == [None]
    # nor does it learn them by correcting that record: the corrected record is its report, but the learner
    # was named by the admin
    fixed = provider_client.post(f"/v1/completions/{seen['id']}/correct", json={"reason": "typo fix", "hours": 2})
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["learner"] is None
    assert peer["person"]["family_name"] not in provider_client.get("/v1/completions").text
    assert peer["nc"]["number"] not in provider_client.get("/v1/completions").text
