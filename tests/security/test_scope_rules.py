"""Scope rules the walk cannot state as one table cell: writes that reach another state, uniform refusals
that must not let anyone enumerate people, and audit entries seen by every state a write touched.

Each refusal leaves every table as it was; each answer is compared with the answer to an id that does
not exist, or with the other refusals, so that nothing distinguishes them but request_id and instance.
"""

from __future__ import annotations

import pytest

from tests.security import walker as W
from tests.security.world import BOARD, PROVIDER, M

UNKNOWN_ID = 987654321


def _refused(env, response, status: int) -> dict:
    problems = [] if response.status_code == status else [f"expected {status}"]
    if response.status_code >= 400:
        problems += W.problem_issues(response)
    problems += [f"rows changed: {c}" for c in W.changed_tables(*env.unchanged())]
    assert not problems, f"{'; '.join(problems)}\n{W.describe(response)}"
    return response.json()


def _csv(*lines: str) -> dict:
    return {"content": ("\r\n".join(lines) + "\r\n").encode(), "headers": {"content-type": "text/csv"}}


def _va_board(env):
    return env.client.as_(env.tokens.board("VA"))


# --- a board writes a person only when every certification of theirs is in its states ----------------


def test_board_cannot_change_a_person_certified_in_another_state_too(env):
    w = env.world
    response = env.as_role(BOARD).patch(f"/v1/people/{w['person_sh']}", json={"family_name": "Renamedbync"})
    detail = _refused(env, response, 403)["detail"]
    assert "admin" in detail.lower() and "VA" in detail, (
        f"the detail names who may (an admin, or a board of every state the person is certified in): {detail!r}"
    )
    assert env.as_role("admin").get(f"/v1/people/{w['person_sh']}").json()["family_name"] == M["sh_family"]


def test_board_certifying_a_person_it_cannot_see_is_answered_like_an_unknown_person(env):
    w, board = env.world, env.as_role(BOARD)

    def attach(person_id: int):
        return board.post(
            "/v1/certifications",
            json={
                "person_id": person_id,
                "credential_code": "NC-CPSS",
                "number": "RULES-NC-0001",
                "issued_on": "2025-05-01",
            },
        )

    unknown, outside = attach(UNKNOWN_ID), attach(w["person_va"])
    assert unknown.status_code == 422, W.describe(unknown)
    _refused(env, outside, 422)
    assert W.normalized(outside.json(), w["person_va"]) == W.normalized(unknown.json(), UNKNOWN_ID), (
        f"a VA-only person must look like no person at all\n{W.describe(outside)}\n{W.describe(unknown)}"
    )


def test_board_cannot_attach_a_certification_to_a_person_certified_in_another_state_too(env):
    w = env.world
    response = env.as_role(BOARD).post(
        "/v1/certifications",
        json={
            "person_id": w["person_sh"],
            "credential_code": "NC-CPSS",
            "number": "RULES-NC-0002",
            "issued_on": "2025-05-01",
        },
    )
    _refused(env, response, 403)


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry_run"])
@pytest.mark.parametrize("person", ["person_va", "person_sh"])
def test_board_import_row_naming_another_states_person_renames_nobody(env, person, dry_run):
    w = env.world
    email = {"person_va": M["va_email"], "person_sh": M["sh_email"]}[person]
    response = env.as_role(BOARD).post(
        "/v1/certifications/import",
        params={"dry_run": str(dry_run).lower()},
        **_csv(
            "given_name,family_name,email,credential_code,number,issued_on",
            f"Hacked,ByNC,{email},NC-CPSS,RULES-NC-0003,2025-05-01",
        ),
    )
    _refused(env, response, 403)
    assert W.leaks(response, BOARD, w) == []
    after = env.as_role("admin").get(f"/v1/people/{w[person]}").json()
    assert (after["given_name"], after["family_name"]) == (M[f"{person[7:]}_given"], M[f"{person[7:]}_family"])


# --- completions that count in another state ---------------------------------------------------------


def test_board_cannot_void_a_completion_that_credits_another_states_certification(env):
    w = env.world
    response = env.as_role(BOARD).post(f"/v1/completions/{w['done_sh_A']}/void", json={"reason": "Voided by NC"})
    _refused(env, response, 403)


def test_board_cannot_review_a_self_report_that_would_credit_another_states_certification(env):
    w = env.world
    response = env.as_role(BOARD).post(
        f"/v1/completions/{w['pending_sh']}/review", json={"decision": "approve", "reason": "Approved by NC"}
    )
    _refused(env, response, 403)


def test_board_reporting_for_a_person_it_cannot_see_is_answered_like_an_unknown_person(env):
    w, board = env.world, env.as_role(BOARD)

    def report(person_id: int):
        return board.post(
            "/v1/completions", json={"person_id": person_id, "course_id": w["course_A"], "completed_on": "2025-11-03"}
        )

    unknown, outside = report(UNKNOWN_ID), report(w["person_va"])
    _refused(env, outside, unknown.status_code)
    assert W.normalized(outside.json(), w["person_va"]) == W.normalized(unknown.json(), UNKNOWN_ID), (
        f"a VA-only person must look like no person at all\n{W.describe(outside)}\n{W.describe(unknown)}"
    )


# --- visible objects, writes of another state: 403 --------------------------------------------------


def test_board_cannot_approve_a_visible_course_for_another_states_credential(env):
    w = env.world
    response = env.as_role(BOARD).post(
        f"/v1/courses/{w['course_A']}/approvals",
        json={"credential_code": "VA-RPRS", "categories": [], "valid_from": "2028-01-01"},
    )
    _refused(env, response, 403)


def test_board_cannot_withdraw_another_states_approval_of_a_visible_course(env):
    w = env.world
    response = env.as_role(BOARD).post(
        f"/v1/courses/{w['course_A']}/approvals/{w['approval_A_VA']}/withdraw",
        json={"withdrawn_on": "2026-01-01", "reason": "Withdrawn by NC"},
    )
    _refused(env, response, 403)


def test_provider_cannot_retire_another_providers_published_course(env):
    w = env.world
    _refused(env, env.as_role(PROVIDER).post(f"/v1/courses/{w['course_B']}/retire"), 403)


# --- the audit log: every state a write touched -------------------------------------------------------


def _audited(client, entity: str, entity_id) -> list[str]:
    response = client.get("/v1/audit", params={"entity": entity, "id": str(entity_id), "limit": 500})
    assert response.status_code == 200, W.describe(response)
    return [e["action"] for e in response.json()["items"]]


@pytest.mark.parametrize("write", ["void shared completion", "patch shared person"])
def test_audit_entry_of_a_write_that_touched_both_states_is_listed_for_both_boards(env, write):
    w, admin = env.world, env.as_role("admin")
    if write == "void shared completion":
        response = admin.post(f"/v1/completions/{w['done_sh_A']}/void", json={"reason": "Voided by the admin"})
        entity, entity_id, action = "completion", w["done_sh_A"], "void"
    else:
        response = admin.patch(f"/v1/people/{w['person_sh']}", json={"external_ref": "shared-ref-2"})
        entity, entity_id, action = "person", w["person_sh"], "update"
    assert response.status_code == 200, W.describe(response)
    assert action in _audited(admin, entity, entity_id)
    seen = {
        state: action in _audited(env.client.as_(env.tokens.board(state)), entity, entity_id) for state in ("NC", "VA")
    }
    assert seen == {"NC": True, "VA": True}, f"which boards see the admin's {write}: {seen}"


def test_audit_entry_of_a_va_only_write_is_not_listed_for_nc(env):
    w, admin = env.world, env.as_role("admin")
    assert admin.patch(f"/v1/people/{w['person_va']}", json={"external_ref": "va-ref-2"}).status_code == 200
    void = admin.post(f"/v1/completions/{w['done_va_B']}/void", json={"reason": "Voided by the admin"})
    assert void.status_code == 200, W.describe(void)
    nc = env.as_role(BOARD)
    assert _audited(nc, "person", w["person_va"]) == []
    assert _audited(nc, "completion", w["done_va_B"]) == []
    assert W.leaks(nc.get("/v1/audit", params={"limit": 500}), BOARD, w) == []


def test_audit_entry_of_a_va_only_write_is_listed_for_va(env):
    w, admin = env.world, env.as_role("admin")
    assert admin.patch(f"/v1/people/{w['person_va']}", json={"external_ref": "va-ref-2"}).status_code == 200
    void = admin.post(f"/v1/completions/{w['done_va_B']}/void", json={"reason": "Voided by the admin"})
    assert void.status_code == 200, W.describe(void)
    va = _va_board(env)
    assert "update" in _audited(va, "person", w["person_va"])
    assert "void" in _audited(va, "completion", w["done_va_B"])


# --- providers identify learners, and learn nothing more about them ------------------------------------


def _report(env, body: dict):
    return env.as_role(PROVIDER).post(
        "/v1/completions", json={"course_id": env.world["course_A"], "completed_on": "2025-11-07", **body}
    )


def test_provider_learner_mismatches_are_one_uniform_422(env):
    """A wrong family name, an unknown number, a person the provider never reported and an id that does not
    exist are answered alike, so a provider cannot find out who exists."""
    w = env.world
    answers = {
        "wrong family name": {
            "credential_code": "NC-CPSS",
            "certificate_number": M["nc_number"],
            "family_name": "Wrongname",
        },
        "unknown number": {
            "credential_code": "NC-CPSS",
            "certificate_number": "NC-NO-SUCH-0001",
            "family_name": M["nc_family"],
        },
        "person never reported": {"person_id": w["person_va"]},
        "person that does not exist": {"person_id": UNKNOWN_ID},
    }
    documents = {}
    for case, body in answers.items():
        response = _report(env, body)
        _refused(env, response, 422)
        assert W.leaks(response, PROVIDER, w, allow=frozenset({"nc_number", "nc_family"})) == [], case
        documents[case] = W.normalized(response.json())
    first = documents["wrong family name"]
    differ = {case: doc for case, doc in documents.items() if doc != first}
    assert not differ, f"refusals that tell the cases apart:\n{first}\n{differ}"


def test_provider_identifies_a_learner_then_may_use_their_person_id(env):
    w = env.world
    first = _report(
        env, {"credential_code": "NC-CPSS", "certificate_number": M["nc_number"], "family_name": M["nc_family"]}
    )
    assert first.status_code == 201, W.describe(first)
    assert first.json().get("credit") in (None, []), "a provider learns nothing of the learner's certifications"
    again = env.as_role(PROVIDER).post(
        "/v1/completions", json={"person_id": w["person_nc"], "course_id": w["course_A"], "completed_on": "2025-11-08"}
    )
    assert again.status_code == 201, W.describe(again)
    assert again.json().get("credit") in (None, [])


@pytest.mark.parametrize("completion", ["done_sh_A", "pending_sh", "done_nc_A"])
def test_provider_completion_answers_carry_no_credit(env, completion):
    w = env.world
    response = env.as_role(PROVIDER).get(f"/v1/completions/{w[completion]}")
    assert response.status_code == 200, W.describe(response)
    assert response.json().get("credit") in (None, []), W.describe(response)
    assert W.leaks(response, PROVIDER, w) == []


ROSTER = "credential_code,certificate_number,family_name,course_id,completed_on"


def _roster(env, *lines: str, header: str = ROSTER):
    return env.as_role(PROVIDER).post("/v1/completions/import", **_csv(header, *lines))


def test_provider_roster_identifies_learners_by_certificate_and_family_name(env):
    w = env.world
    response = _roster(env, f"NC-CPSS,{M['nc_number']},{M['nc_family']},{w['course_A']},2025-11-09")
    assert response.status_code == 200, W.describe(response)
    assert response.json()["created"] == 1
    assert W.leaks(response, PROVIDER, w, allow=frozenset({"nc_number", "nc_family"})) == []


def test_provider_roster_mismatches_are_uniform(env):
    w, course = env.world, env.world["course_A"]

    def refused(*lines: str, header: str = ROSTER):
        response = _roster(env, *lines, header=header)
        _refused(env, response, 422)
        assert W.leaks(response, PROVIDER, w, allow=frozenset({"nc_number", "nc_family"})) == []
        return response

    wrong_family = refused(f"NC-CPSS,{M['nc_number']},Wrongname,{course},2025-11-09")
    unknown_number = refused(f"NC-CPSS,NC-NO-SUCH-0001,{M['nc_family']},{course},2025-11-09")
    never_reported = refused(f"{w['person_va']},{course},2025-11-09", header="person_id,course_id,completed_on")
    a = W.normalized(wrong_family.json(), M["nc_number"], "Wrongname")
    b = W.normalized(unknown_number.json(), "NC-NO-SUCH-0001", M["nc_family"])
    assert a == b, f"the two rows must be refused alike\n{a}\n{b}"

    def messages(response, *values):
        doc = W.normalized(response.json(), *values)
        return doc["detail"], [e["message"] for e in doc.get("errors", [])]

    assert messages(never_reported, w["person_va"]) == messages(unknown_number, "NC-NO-SUCH-0001", M["nc_family"])
