"""Board approvals: per credential, with category tags and dates; withdrawn on a date, never deleted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.catalog import service
from app.rules.engine import Approval
from tests.catalog.helpers import audit_entries, counting_selects, new_course, new_provider, problem


@pytest.fixture
def course(admin) -> dict:
    return new_course(admin, new_provider(admin)["id"], topics=["ethics-and-boundaries"], hours=3)


def _approve(client, course_id, **body):
    return client.post(f"/v1/courses/{course_id}/approvals", json={"credential_code": "VA-RPRS", **body})


def test_the_credentials_board_approves_a_course_with_categories(client, tokens, admin, course):
    va = client.as_(tokens.board("VA"))
    response = _approve(
        va, course["id"], categories=["ethics"], hours=2, valid_from="2026-01-01", valid_until="2027-12-31"
    )
    assert response.status_code == 201, response.text
    approval = response.json()
    assert approval["credential_code"] == "VA-RPRS" and approval["state"] == "VA"
    assert approval["categories"] == ["ethics"] and approval["hours"] == 2
    assert approval["withdrawn_on"] is None and approval["approved_by"].startswith("board:")
    [entry] = audit_entries(admin, "approval", approval["id"])
    assert entry["action"] == "approve" and entry["state"] == "VA"
    # the VA board sees its own audit trail
    assert [e["id"] for e in audit_entries(va, "approval", approval["id"])] == [entry["id"]]
    assert approval.pop("impact") == {"changes": [], "counts": {"before": {}, "after": {}}}  # nobody completed it
    listed = client.get(f"/v1/courses/{course['id']}/approvals").json()["items"]
    assert listed == [approval]


def test_credential_codes_are_case_insensitive_and_admins_approve_for_any_state(admin, course):
    response = _approve(admin, course["id"], credential_code="wv-prss", categories=["peer-code-of-ethics"])
    assert response.status_code == 201 and response.json()["credential_code"] == "WV-PRSS"


def test_a_board_cannot_approve_for_another_states_credential(client, tokens, course):
    body = problem(_approve(client.as_(tokens.board("NC")), course["id"]), 403)
    assert "VA" in body["detail"]
    assert client.get(f"/v1/courses/{course['id']}/approvals").json()["items"] == []


@pytest.mark.parametrize("who", ["provider", "peer"])
def test_providers_and_peers_cannot_approve(client, tokens, course, who):
    token = tokens.provider(course["provider_id"]) if who == "provider" else tokens.peer(1)
    problem(_approve(client.as_(token), course["id"]), 403)


def test_approving_needs_a_token(client, course):
    problem(_approve(client, course["id"]), 401)


def test_the_credential_must_exist(admin, course):
    body = problem(_approve(admin, course["id"], credential_code="ZZ-NOPE"), 422)
    assert body["errors"][0]["field"] == "body.credential_code"


def test_categories_must_be_the_credentials_own(admin, course):
    body = problem(_approve(admin, course["id"], categories=["ethics", "astrology"]), 422)
    [error] = body["errors"]
    assert error["field"] == "body.categories" and "astrology" in error["message"] and "ethics" in error["message"]


def test_bad_dates_and_hours_are_422(admin, course):
    body = problem(_approve(admin, course["id"], hours=0, valid_from="2027-01-01", valid_until="2026-01-01"), 422)
    assert {e["field"] for e in body["errors"]} == {"body.hours", "body.valid_until"}
    assert admin.get(f"/v1/courses/{course['id']}/approvals").json()["items"] == []


def test_a_board_cannot_approve_a_draft_it_cannot_see(admin, client, tokens):
    draft = new_course(admin, new_provider(admin)["id"], status="draft")
    problem(_approve(client.as_(tokens.board("VA")), draft["id"]), 404)
    problem(client.get(f"/v1/courses/{draft['id']}/approvals"), 404)


def test_overlapping_approvals_for_one_credential_conflict(admin, course):
    assert _approve(admin, course["id"], valid_until="2026-12-31").status_code == 201
    body = problem(_approve(admin, course["id"], valid_from="2026-06-01"), 409)
    assert "withdraw" in body["detail"]
    assert _approve(admin, course["id"], valid_from="2027-01-01").status_code == 201
    assert _approve(admin, course["id"], credential_code="NC-CPSS").status_code == 201


def test_withdrawing_keeps_the_approval_on_record_with_its_date(client, tokens, admin, course):
    va = client.as_(tokens.board("VA"))
    approval = _approve(va, course["id"], categories=["ethics"]).json()
    url = f"/v1/courses/{course['id']}/approvals/{approval['id']}/withdraw"
    problem(client.as_(tokens.board("NC")).post(url, json={"withdrawn_on": "2026-12-01", "reason": "Not ours"}), 403)
    problem(va.post(url, json={"withdrawn_on": "2026-12-01"}), 422)
    withdrawn = va.post(url, json={"withdrawn_on": "2026-12-01", "reason": "Content out of date"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == "2026-12-01"
    assert withdrawn.json()["withdrawal_reason"] == "Content out of date"
    problem(va.post(url, json={"withdrawn_on": "2026-12-02", "reason": "Again"}), 409)
    [listed] = client.get(f"/v1/courses/{course['id']}/approvals").json()["items"]
    assert listed["withdrawn_on"] == "2026-12-01"
    assert [e["action"] for e in audit_entries(admin, "approval", approval["id"])] == ["withdraw", "approve"]
    # after the withdrawal date, a new approval may start
    assert _approve(va, course["id"], valid_from="2027-01-01").status_code == 201


@pytest.mark.parametrize("who", ["provider", "peer", "anonymous"])
def test_only_admins_and_the_credentials_board_withdraw(client, tokens, admin, course, who):
    approval = _approve(admin, course["id"]).json()
    token = {"provider": tokens.provider(course["provider_id"]), "peer": tokens.peer(1), "anonymous": None}[who]
    response = client.as_(token).post(
        f"/v1/courses/{course['id']}/approvals/{approval['id']}/withdraw",
        json={"withdrawn_on": "2026-12-01", "reason": "Not allowed"},
    )
    problem(response, 401 if who == "anonymous" else 403)
    assert client.get(f"/v1/courses/{course['id']}/approvals").json()["items"][0]["withdrawn_on"] is None


def test_withdrawing_an_unknown_approval_is_404(admin, course):
    problem(
        admin.post(
            f"/v1/courses/{course['id']}/approvals/999999/withdraw",
            json={"withdrawn_on": "2026-12-01", "reason": "No such approval"},
        ),
        404,
    )


def test_engine_approvals_gives_the_engine_every_approval_in_one_query(admin, engine, db, course):
    other = new_course(admin, course["provider_id"])
    va = _approve(admin, course["id"], categories=["ethics"], hours=2, valid_from="2026-01-01").json()
    _approve(admin, course["id"], credential_code="WV-PRSS", categories=["peer-code-of-ethics"])
    admin.post(
        f"/v1/courses/{course['id']}/approvals/{va['id']}/withdraw",
        json={"withdrawn_on": "2026-06-01", "reason": "Replaced by a newer course"},
    )
    with counting_selects(engine) as selects:
        result = service.engine_approvals(db, [course["id"], other["id"]])
    assert len(selects) == 1
    assert result[other["id"]] == ()
    assert set(result[course["id"]]) == {
        Approval(
            credential_code="VA-RPRS",
            categories=frozenset({"ethics"}),
            hours=Decimal("2.00"),
            valid_from=date(2026, 1, 1),
            withdrawn_on=date(2026, 6, 1),
        ),
        Approval(credential_code="WV-PRSS", categories=frozenset({"peer-code-of-ethics"})),
    }


def test_course_facts_tell_the_engine_what_a_course_is(admin, engine, db):
    course = new_course(
        admin,
        new_provider(admin)["id"],
        hours=1.25,
        modality="self_paced",
        topics=["harm-reduction", "crisis-support"],
        available_from="2025-02-01",
    )
    with counting_selects(engine) as selects:
        facts = service.course_facts(db, [course["id"], 999999])
    assert len(selects) <= 2 and set(facts) == {course["id"]}
    fact = facts[course["id"]]
    assert (fact.hours, fact.modality, fact.topics) == (
        Decimal("1.25"),
        "self_paced",
        frozenset({"harm-reduction", "crisis-support"}),
    )
    assert (fact.title, fact.provider_id, fact.status, fact.available_from) == (
        course["title"],
        course["provider_id"],
        "published",
        date(2025, 2, 1),
    )
