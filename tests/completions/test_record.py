"""Reporting completions, credit across certifications, self-reports and review, voids."""

from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem
from tests.factories import learner


def _compliance(admin, cert, as_of="2025-12-01"):
    return admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": as_of}).json()


def test_provider_reports_by_certificate_and_credit_shows_to_those_who_may_see_it(
    admin, client, tokens, provider_client, course, peer
):
    response = provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["source"] == "provider" and body["hours"] == 3
    assert body["credit"] == []  # a provider learns nothing of the learner's certifications
    assert provider_client.get(f"/v1/completions/{body['id']}").json()["credit"] == []
    nc_board = client.as_(tokens.board("NC")).get(f"/v1/completions/{body['id']}").json()
    assert [c["credential_code"] for c in nc_board["credit"]] == ["NC-CPSS"]
    credit = {c["credential_code"]: c for c in admin.get(f"/v1/completions/{body['id']}").json()["credit"]}
    assert credit["NC-CPSS"]["outcome"] == "counted" and credit["NC-CPSS"]["counted_hours"] == 3
    assert credit["VA-RPRS"]["outcome"] == "not_counted" and "approved" in credit["VA-RPRS"]["reason"]
    assert _compliance(admin, peer["nc"])["earned_hours"] == 3
    assert _compliance(admin, peer["va"])["earned_hours"] == 0


def test_an_approval_makes_it_count_for_the_approved_only_credential(admin, provider_client, course, peer):
    admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "VA-RPRS", "categories": ["ethics"]})
    provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    va = _compliance(admin, peer["va"])
    assert va["earned_hours"] == 3
    assert {c["category"]: c["earned_hours"] for c in va["categories"]}["ethics"] == 3


def test_completion_marks_the_persons_certifications_dirty(admin, provider_client, course, peer, db):
    from sqlmodel import select

    from app.certifications.models import Certification

    db.exec(select(Certification)).all()
    for cert in db.exec(select(Certification)).all():
        cert.dirty = False
        db.add(cert)
    db.commit()
    provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    db.expire_all()
    dirty = {c.id for c in db.exec(select(Certification).where(Certification.dirty)).all()}
    assert dirty == {peer["nc"]["id"], peer["va"]["id"]}


def test_refused_dates_and_courses_say_why(admin, provider, provider_client, peer):
    early = new_course(provider_client, provider["id"], available_from="2025-05-01")
    pid = learner(peer["person"], peer["nc"])
    future = provider_client.post(
        "/v1/completions", json={**pid, "course_id": early["id"], "completed_on": "2099-01-01"}
    )
    assert "in the future" in problem(future, 422)["errors"][0]["message"]
    before = provider_client.post(
        "/v1/completions", json={**pid, "course_id": early["id"], "completed_on": "2025-04-30"}
    )
    assert "only exists from 2025-05-01" in problem(before, 422)["errors"][0]["message"]
    provider_client.post(f"/v1/courses/{early['id']}/retire")
    retired = provider_client.post(
        "/v1/completions", json={**pid, "course_id": early["id"], "completed_on": "2025-06-01"}
    )
    assert "retired" in problem(retired, 422)["errors"][0]["message"]
    unknown = provider_client.post("/v1/completions", json={**pid, "course_id": 999999, "completed_on": "2025-06-01"})
    assert problem(unknown, 422)["errors"][0]["field"] == "body.course_id"


def test_provider_cannot_report_another_providers_course(admin, client, tokens, course, peer):
    other = new_provider(admin)
    response = client.as_(tokens.provider(other["id"])).post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    problem(response, 403)


def test_same_course_same_day_twice_is_409(provider_client, course, peer):
    body = {**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"}
    assert provider_client.post("/v1/completions", json=body).status_code == 201
    problem(provider_client.post("/v1/completions", json=body), 409)


def test_board_records_only_for_its_states_people(client, tokens, course, peer):
    body = {"person_id": peer["person"]["id"], "course_id": course["id"], "completed_on": "2025-06-10"}
    problem(client.as_(tokens.board("OH")).post("/v1/completions", json=body), 422)  # as if nobody had that id
    assert client.as_(tokens.board("NC")).post("/v1/completions", json=body).json()["source"] == "board"


SELF_REPORT = {
    "title": "Ethics in peer work (state conference)",
    "provider_name": "State peer conference",
    "hours": 2,
    "modality": "in_person",
    "completed_on": "2025-09-14",
    "evidence_url": "https://example.org/cert/1",
}


def test_self_report_is_pending_until_a_board_of_the_peers_state_approves(admin, client, tokens):
    person = factories.person(admin)
    va_cert = factories.certification(admin, person_id=person["id"], credential_code="VA-RPRS", issued_on="2025-02-01")
    me = client.as_(tokens.peer(person["id"]))
    created = me.post("/v1/completions", json=SELF_REPORT)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    cid = created.json()["id"]
    assert _compliance(admin, va_cert)["earned_hours"] == 0
    assert (
        client.as_(tokens.board("PA"))
        .post(f"/v1/completions/{cid}/review", json={"decision": "approve", "reason": "ok"})
        .status_code
        == 404
    )
    problem(me.post(f"/v1/completions/{cid}/review", json={"decision": "approve", "reason": "me"}), 403)
    queue = client.as_(tokens.board("VA")).get("/v1/completions", params={"status": "pending"}).json()["items"]
    assert cid in [c["id"] for c in queue]
    reviewed = client.as_(tokens.board("VA")).post(
        f"/v1/completions/{cid}/review",
        json={"decision": "approve", "reason": "Certificate checked", "categories": ["ethics"]},
    )
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "accepted"
    va = _compliance(admin, va_cert)
    assert va["earned_hours"] == 2 and {c["category"]: c["earned_hours"] for c in va["categories"]}["ethics"] == 2
    problem(
        client.as_(tokens.board("VA")).post(
            f"/v1/completions/{cid}/review", json={"decision": "reject", "reason": "again"}
        ),
        409,
    )


def test_a_board_may_not_decide_credit_that_counts_in_another_state(
    admin, client, tokens, peer, course, provider_client
):
    """The peer holds NC (any CE counts) and VA (approved CE only) certifications."""
    cid = client.as_(tokens.peer(peer["person"]["id"])).post("/v1/completions", json=SELF_REPORT).json()["id"]
    refused = problem(
        client.as_(tokens.board("VA")).post(
            f"/v1/completions/{cid}/review", json={"decision": "approve", "reason": "Certificate checked"}
        ),
        403,
    )
    assert "NC certification" in refused["detail"] and "all of NC, VA" in refused["detail"]
    assert admin.get(f"/v1/completions/{cid}").json()["status"] == "pending"
    assert _compliance(admin, peer["nc"])["earned_hours"] == 0
    # NC's acceptance counts for NC only (VA takes approved CE): NC may decide it
    accepted = client.as_(tokens.board("NC")).post(
        f"/v1/completions/{cid}/review", json={"decision": "approve", "reason": "Certificate checked"}
    )
    assert accepted.status_code == 200 and _compliance(admin, peer["nc"])["earned_hours"] == 2
    assert _compliance(admin, peer["va"])["earned_hours"] == 0
    # a provider's course approved for VA counts in both states: VA may not void it alone, NC+VA may
    admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "VA-RPRS", "categories": ["ethics"]})
    shared = provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    ).json()["id"]
    problem(client.as_(tokens.board("VA")).post(f"/v1/completions/{shared}/void", json={"reason": "dup"}), 403)
    assert _compliance(admin, peer["va"])["earned_hours"] == 3
    entries = client.as_(tokens.board("VA")).get("/v1/audit", params={"entity": "completion", "id": shared})
    assert [e["action"] for e in entries.json()["items"]] == ["create"]  # the refused void left nothing
    both = client.as_(tokens.board("NC", "VA")).post(f"/v1/completions/{shared}/void", json={"reason": "dup"})
    assert both.status_code == 200 and _compliance(admin, peer["va"])["earned_hours"] == 0
    for state in ("NC", "VA"):  # the void is in the audit log of both states it touched
        log = client.as_(tokens.board(state)).get("/v1/audit", params={"entity": "completion", "id": shared})
        assert [e["action"] for e in log.json()["items"]] == ["void", "create"]
        assert log.json()["items"][0]["states"] == ["NC", "VA"]


def test_rejected_self_report_never_counts(admin, client, tokens, peer):
    cid = client.as_(tokens.peer(peer["person"]["id"])).post("/v1/completions", json=SELF_REPORT).json()["id"]
    rejected = client.as_(tokens.board("NC")).post(
        f"/v1/completions/{cid}/review", json={"decision": "reject", "reason": "No certificate attached"}
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["review_reason"] == "No certificate attached"
    assert _compliance(admin, peer["nc"])["earned_hours"] == 0


def test_peer_reports_only_for_themself(client, tokens, peer, course):
    me = client.as_(tokens.peer(peer["person"]["id"]))
    problem(me.post("/v1/completions", json={**SELF_REPORT, "person_id": peer["person"]["id"] + 1}), 403)
    incomplete = {k: v for k, v in SELF_REPORT.items() if k != "hours"}
    assert "hours" in problem(me.post("/v1/completions", json=incomplete), 422)["errors"][0]["message"]


def test_void_excludes_a_completion_and_a_correction_can_follow(admin, provider_client, course, peer):
    body = {**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"}
    cid = provider_client.post("/v1/completions", json=body).json()["id"]
    voided = provider_client.post(f"/v1/completions/{cid}/void", json={"reason": "Wrong attendee"})
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert _compliance(admin, peer["nc"])["earned_hours"] == 0
    log = admin.get("/v1/audit", params={"entity": "completion", "id": cid}).json()["items"]
    assert log[0]["action"] == "void" and log[0]["changes"]["reason"] == "Wrong attendee"
    corrected = provider_client.post("/v1/completions", json=body)
    assert corrected.status_code == 201 and corrected.json()["id"] != cid
    problem(provider_client.post(f"/v1/completions/{cid}/void", json={"reason": "again"}), 409)


def test_completion_scope_for_reads(admin, client, tokens, provider_client, course, peer):
    cid = provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    ).json()["id"]
    assert client.as_(tokens.peer(peer["person"]["id"])).get(f"/v1/completions/{cid}").status_code == 200
    assert client.as_(tokens.peer(peer["person"]["id"] + 1)).get(f"/v1/completions/{cid}").status_code == 404
    assert client.as_(tokens.board("OH")).get(f"/v1/completions/{cid}").status_code == 404
    assert client.as_(tokens.board("VA")).get(f"/v1/completions/{cid}").status_code == 200
    other = new_provider(admin)
    assert client.as_(tokens.provider(other["id"])).get(f"/v1/completions/{cid}").status_code == 404
    assert client.get(f"/v1/completions/{cid}").status_code == 401


def test_approving_a_course_marks_its_completers_certifications_dirty(admin, provider_client, course, peer, db):
    from sqlalchemy import update
    from sqlmodel import select

    from app.certifications.models import Certification

    provider_client.post(
        "/v1/completions",
        json={**learner(peer["person"], peer["nc"]), "course_id": course["id"], "completed_on": "2025-06-10"},
    )
    db.execute(update(Certification).values(dirty=False))
    db.commit()
    admin.post(f"/v1/courses/{course['id']}/approvals", json={"credential_code": "VA-RPRS", "categories": ["ethics"]})
    db.expire_all()
    assert {c.id for c in db.exec(select(Certification).where(Certification.dirty)).all()} == {peer["va"]["id"]}
