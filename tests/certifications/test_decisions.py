"""Board go-live (issue 17): recorded renewals stand and are reviewed, not withdrawn; a board reopens them;
migrated records register in their current cycle; holds resume; issue dates never lie in the future."""

from __future__ import annotations

import copy
from datetime import date

from sqlmodel import col, select

from app.audit.models import AuditEntry
from app.certifications.models import Certification
from app.scheduler.models import Flag, Outbox, Renewal
from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem
from tests.scheduler.helpers import set_today, sweep


def _renewals(db, cert_id: int) -> list[Renewal]:
    db.expire_all()
    return list(
        db.exec(
            select(Renewal)
            .where(Renewal.certification_id == cert_id)
            .order_by(col(Renewal.cycle_start), col(Renewal.generation))
        )
    )


def _flags(db, cert_id: int) -> list[tuple[date, str]]:
    db.expire_all()
    return sorted((f.cycle_start, f.status) for f in db.exec(select(Flag).where(Flag.certification_id == cert_id)))


def _renewed_nc(app, admin, db) -> tuple[dict, list[dict], dict]:
    """An NC-CPSS certification whose first cycle (2024-02-10 to 2026-02-28) was met with exactly 20 hours,
    ten 2-hour courses, and renewed by the sweep on 2026-03-02."""
    set_today(app, date(2026, 1, 5))
    person = factories.person(admin)
    cert = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2024-02-10")
    set_today(app, date(2026, 2, 20))
    provider = new_provider(admin)
    courses = [new_course(admin, provider["id"], hours=2) for _ in range(10)]
    for i, course in enumerate(courses):
        response = admin.post(
            "/v1/completions",
            json={"person_id": person["id"], "course_id": course["id"], "completed_on": f"2026-01-{10 + i:02d}"},
        )
        assert response.status_code == 201, response.text
    set_today(app, date(2026, 3, 2))
    sweep(app)
    [renewal] = _renewals(db, cert["id"])
    assert (renewal.cycle_start, renewal.cycle_end, renewal.recorded_on, renewal.source) == (
        date(2024, 2, 10),
        date(2026, 2, 28),
        date(2026, 3, 2),
        "sweep",
    )
    assert (renewal.earned_hours, renewal.required_hours, renewal.rule_version) == (20, 20, 1)
    return cert, courses, person


def test_the_issue_example_a_new_version_and_a_lower_approval_do_not_withdraw_a_renewal(app, admin, client, tokens, db):
    """Publishing NC-CPSS v2 with an ethics category and approving a course for 1.5 hours would leave the renewed
    cycle short: the renewal stands (no `renewal_withdrawn`, no `lapsed`), and one `renewal_review` says why."""
    cert, courses, _ = _renewed_nc(app, admin, db)
    set_today(app, date(2026, 5, 1))
    nc = client.as_(tokens.board("NC"))
    rules = copy.deepcopy(client.get("/v1/credentials/NC-CPSS").json()["current"]["rules"])
    rules["requirements"]["categories"] = [{"category": "ethics", "min_hours": 2}]
    assert nc.put("/v1/credentials/NC-CPSS", json=rules).status_code == 200
    response = nc.post(
        f"/v1/courses/{courses[5]['id']}/approvals",
        json={"credential_code": "NC-CPSS", "categories": ["ethics"], "hours": 1.5, "valid_from": "2026-01-01"},
    )
    assert response.status_code == 201, response.text
    compliance = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert (compliance["status"], compliance["cycle_start"]) == ("in_progress", "2026-03-01")
    renewed = compliance["cycles"][0]
    assert (renewed["met"], renewed["renewed_on"], renewed["earned_hours"]) == (False, "2026-03-02", 19.5)

    sweep(app)
    sweep(app, full=True)
    [renewal] = _renewals(db, cert["id"])
    assert renewal.reopened_on is None
    assert _flags(db, cert["id"]) == [(date(2024, 2, 10), "renewal_review")]
    assert db.get(Certification, cert["id"]).status == "in_progress"
    actions = [
        e.action
        for e in db.exec(
            select(AuditEntry).where(AuditEntry.entity == "certification", AuditEntry.entity_id == str(cert["id"]))
        )
    ]
    assert "renewal_withdrawn" not in actions
    [review] = admin.get("/v1/flags", params={"status": "renewal_review"}).json()["items"]
    reasons = " | ".join(review["reasons"])
    assert review["certification_id"] == cert["id"] and review["cycle_end"] == "2026-02-28"
    assert "renewed on 2026-03-02 with 20.00 of 20.00 hours under rule version 1" in reasons
    assert "rule version 2 now evaluates it (it was renewed under version 1)" in reasons
    assert "its earned hours are now 19.50 (they were 20.00)" in reasons
    assert "the approval for NC-CPSS sets 1.50 hours; the course has 2.00" in reasons
    assert "Total CE hours: 19.50 of 20.00 hours (0.50 short)" in reasons
    assert "ethics: 1.50 of 2.00 hours (0.50 short)" in reasons
    # delivered like every flag: the peer's email (and each webhook of the state), with the reasons
    [email] = db.exec(select(Outbox).where(Outbox.flag_id == review["id"])).all()
    assert email.channel == "email" and email.payload["flag"]["status"] == "renewal_review"
    assert email.payload["reasons"] == review["reasons"] and "renewal stands" in email.payload["message"]
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert [(r["cycle_start"], r["source"], r["reopened_on"]) for r in history["renewals"]] == [
        ("2024-02-10", "sweep", None)
    ]
    assert [f["status"] for f in history["flags"]] == ["renewal_review"]
    assert sweep(app).flagged == 0  # one review per cycle


def test_a_board_reopens_a_renewed_cycle_and_only_then_the_plain_derivation_decides_it(app, admin, client, tokens, db):
    cert, courses, person = _renewed_nc(app, admin, db)
    set_today(app, date(2026, 5, 1))
    completion = admin.get("/v1/completions", params={"person_id": person["id"]}).json()["items"][0]
    assert admin.post(f"/v1/completions/{completion['id']}/void", json={"reason": "Not attended"}).status_code == 200
    sweep(app)
    assert _flags(db, cert["id"]) == [(date(2024, 2, 10), "renewal_review")]
    nc = client.as_(tokens.board("NC"))
    body = {"action": "reopen", "cycle_start": "2024-02-10", "reason": "Review: a completion was voided"}
    dry = nc.post(f"/v1/certifications/{cert['id']}/actions", params={"dry_run": "true"}, json=body)
    assert dry.status_code == 200, dry.text
    [change] = dry.json()["changes"]
    assert (change["before"]["status"], change["before"]["cycle_start"]) == ("in_progress", "2026-03-01")
    assert (change["after"]["status"], change["after"]["cycle_start"]) == ("lapsed", "2024-02-10")
    assert _renewals(db, cert["id"])[0].reopened_on is None  # a preview writes nothing
    real = nc.post(f"/v1/certifications/{cert['id']}/actions", json=body)
    assert real.status_code == 201, real.text
    assert (real.json()["kind"], real.json()["cycle_start"], real.json()["effective_on"]) == (
        "reopen",
        "2024-02-10",
        "2026-05-01",
    )
    assert real.json()["impact"]["changes"] == dry.json()["changes"]
    [renewal] = _renewals(db, cert["id"])
    assert renewal.reopened_on == date(2026, 5, 1)
    sweep(app)
    assert (date(2024, 2, 10), "lapsed") in _flags(db, cert["id"])
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert [a["kind"] for a in history["board_actions"]] == ["reopen"]
    assert history["renewals"][0]["reopened_on"] == "2026-05-01"
    assert {f["status"] for f in history["flags"]} == {"renewal_review", "lapsed"}
    reopen = next(e for e in history["events"] if e["action"] == "reopen")
    assert reopen["changes"]["cycle_start"] == "2024-02-10" and reopen["changes"]["renewal_source"] == "sweep"
    # nothing left to reopen for that cycle
    again = problem(nc.post(f"/v1/certifications/{cert['id']}/actions", json=body), 422)
    assert again["errors"][0]["field"] == "body.cycle_start"


def test_a_reopened_cycle_the_data_meets_is_renewed_again_as_a_new_record(app, admin, db):
    cert, _, _ = _renewed_nc(app, admin, db)
    set_today(app, date(2026, 4, 1))
    body = {"kind": "reopen", "cycle_start": "2024-02-10", "reason": "Check the record"}
    assert admin.post(f"/v1/certifications/{cert['id']}/actions", json=body).status_code == 201
    sweep(app)
    assert [(r.generation, r.reopened_on, r.recorded_on) for r in _renewals(db, cert["id"])] == [
        (0, date(2026, 4, 1), date(2026, 3, 2)),
        (1, None, date(2026, 4, 1)),
    ]
    assert db.get(Certification, cert["id"]).status == "in_progress"


def test_reopen_and_cycle_start_are_checked(app, admin, client, tokens):
    set_today(app, date(2026, 5, 1))
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-03-15")
    url = f"/v1/certifications/{cert['id']}/actions"
    body = problem(admin.post(url, json={"kind": "reopen", "reason": "no cycle named"}), 422)
    assert body["errors"][0]["field"] == "body.cycle_start"
    body = problem(
        admin.post(url, json={"kind": "reopen", "cycle_start": "2025-03-15", "reason": "never renewed"}), 422
    )
    assert "no recorded renewal of a cycle starting on 2025-03-15" in body["detail"]
    body = problem(admin.post(url, json={"kind": "suspend", "cycle_start": "2025-03-15", "reason": "x" * 5}), 422)
    assert body["errors"][0]["field"] == "body.cycle_start"
    for start in ("2025-03-14", "2026-05-02"):
        body = problem(
            admin.post(
                url,
                json={
                    "kind": "reinstate",
                    "effective_on": "2026-05-01",
                    "cycle_start": start,
                    "reason": "stated start",
                },
            ),
            422,
        )
        assert body["errors"][0]["field"] == "body.cycle_start"
    assert problem(
        admin.post(
            url, json={"kind": "reopen", "action": "reopen", "cycle_start": "2025-03-15", "reason": "both names"}
        ),
        422,
    )
    # another state's board does not see the certification at all
    va = client.as_(tokens.board("VA"))
    assert va.post(url, json={"kind": "reopen", "cycle_start": "2025-03-15", "reason": "not ours"}).status_code == 404


# --- holds resume -----------------------------------------------------------------------------------------------


def test_a_two_day_suspension_keeps_the_24_month_cycle_and_its_history(app, admin):
    """It used to move the cycle end from 2027-01-31 to 2028-12-31 and drop the cycle from the history."""
    set_today(app, date(2026, 12, 5))
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-01-15")
    url = f"/v1/certifications/{cert['id']}/actions"
    assert (
        admin.post(url, json={"kind": "suspend", "effective_on": "2026-12-01", "reason": "Complaint"}).status_code
        == 201
    )
    reinstated = admin.post(url, json={"kind": "reinstate", "effective_on": "2026-12-03", "reason": "Dismissed"})
    assert reinstated.status_code == 201
    compliance = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert (compliance["status"], compliance["cycle_start"], compliance["cycle_end"]) == (
        "due_soon",
        "2025-01-15",
        "2027-01-31",
    )
    assert any("resumed the cycles" in r for r in compliance["reasons"])
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert [c["start"] for c in history["cycles"]] == ["2025-01-15"]
    assert admin.get(f"/v1/certifications/{cert['id']}").json()["cycle_end"] == "2027-01-31"


def test_a_reinstatement_after_a_revocation_starts_a_chain_where_the_board_says(app, admin):
    set_today(app, date(2026, 3, 10))
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-02-01")
    url = f"/v1/certifications/{cert['id']}/actions"
    admin.post(url, json={"kind": "revoke", "effective_on": "2026-03-01", "reason": "Revoked"})
    body = {"kind": "reinstate", "effective_on": "2026-03-05", "cycle_start": "2026-03-01", "reason": "Board order"}
    dry = admin.post(url, params={"dry_run": "true"}, json=body)
    assert dry.status_code == 200 and dry.json()["changes"][0]["after"]["cycle_start"] == "2026-03-01"
    taken = admin.post(url, json=body)
    assert taken.status_code == 201 and taken.json()["cycle_start"] == "2026-03-01"
    compliance = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert (compliance["cycle_start"], compliance["cycle_end"]) == ("2026-03-01", "2028-03-31")


# --- migrated records -----------------------------------------------------------------------------------------


def test_a_migrated_record_registers_in_its_current_cycle_and_is_not_lapsed(app, admin, db):
    """NC-IMP-0002, issued 2023-02-01 and renewed by the board in its old system, was lapsed on import."""
    set_today(app, date(2026, 12, 6))
    person = factories.person(admin)
    response = admin.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "NC-CPSS",
            "number": "NC-IMP-0002",
            "issued_on": "2023-02-01",
            "current_cycle_start": "2025-03-01",
            "carryover_hours": 2,
        },
    )
    assert response.status_code == 201, response.text
    cert = response.json()
    assert (cert["status"], cert["cycle_start"], cert["cycle_end"]) == ("due_soon", "2025-03-01", "2027-02-28")
    assert cert["registered_cycle"] == {
        "cycle_start": "2025-03-01",
        "cycle_end": None,
        "carryover_hours": 2,
        "recorded_on": "2026-12-06",
    }
    [renewal] = _renewals(db, cert["id"])
    assert (renewal.cycle_start, renewal.cycle_end, renewal.source, renewal.met_on, renewal.recorded_on) == (
        date(2023, 2, 1),
        date(2025, 2, 28),
        "board",
        None,
        date(2026, 12, 6),
    )
    compliance = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert (compliance["carryover_hours"], compliance["earned_hours"]) == (2, 2)
    assert compliance["cycles"][0]["renewed_by_board"] is True
    sweep(app)
    # the move lapses and reviews nothing: only the current cycle is flagged, due soon as it really is
    assert _flags(db, cert["id"]) == [(date(2025, 3, 1), "due_soon")]
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert [(r["cycle_start"], r["source"]) for r in history["renewals"]] == [("2023-02-01", "board")]
    created = next(e for e in history["events"] if e["action"] == "create")
    assert created["changes"]["current_cycle_start"] == [None, "2025-03-01"]
    assert created["changes"]["renewed_by_board"] == ["2023-02-01 to 2025-02-28"]
    # before the day it was registered, the plain derivation applies
    assert (
        admin.get(f"/v1/certifications/{cert['id']}/compliance", params={"as_of": "2026-12-05"}).json()["status"]
        == "lapsed"
    )


def test_a_board_states_its_own_cycle_end_and_restates_it_with_a_patch(app, admin, db):
    set_today(app, date(2026, 12, 6))
    person = factories.person(admin)
    cert = admin.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "NC-CPSS",
            "number": "NC-IMP-0003",
            "issued_on": "2023-02-01",
            "current_cycle_start": "2025-02-01",
            "current_cycle_end": "2027-03-31",
        },
    ).json()
    assert (cert["cycle_start"], cert["cycle_end"]) == ("2025-02-01", "2027-03-31")
    assert [(r.cycle_start, r.cycle_end) for r in _renewals(db, cert["id"])] == [(date(2023, 2, 1), date(2025, 1, 31))]
    set_today(app, date(2026, 12, 8))
    response = admin.patch(f"/v1/certifications/{cert['id']}", json={"current_cycle_start": "2025-03-01"})
    assert response.status_code == 200, response.text
    assert (response.json()["cycle_start"], response.json()["cycle_end"]) == ("2025-03-01", "2027-02-28")
    assert response.json()["registered_cycle"]["cycle_end"] is None  # a new start replaces the statement
    assert [(r.cycle_start, r.cycle_end, r.reopened_on, r.generation) for r in _renewals(db, cert["id"])] == [
        (date(2023, 2, 1), date(2025, 1, 31), date(2026, 12, 8), 0),
        (date(2023, 2, 1), date(2025, 2, 28), None, 1),
    ]
    response = admin.patch(f"/v1/certifications/{cert['id']}", json={"carryover_hours": 3})
    assert response.json()["registered_cycle"]["carryover_hours"] == 3
    assert len(_renewals(db, cert["id"])) == 2  # an amendment renews nothing anew
    updates = [
        e for e in admin.get(f"/v1/certifications/{cert['id']}/history").json()["events"] if e["action"] == "update"
    ]
    assert updates[0]["changes"]["registered_cycle_start"] == ["2025-02-01", "2025-03-01"]
    assert updates[1]["changes"]["registered_carryover_hours"] == [None, "3.00"]


def test_a_migrated_record_states_a_sane_cycle(app, admin):
    set_today(app, date(2026, 12, 6))
    person = factories.person(admin)
    base = {"person_id": person["id"], "credential_code": "NC-CPSS", "number": "NC-IMP-0009", "issued_on": "2023-02-01"}
    cases = [
        ({"current_cycle_start": "2023-01-31"}, "body.current_cycle_start", "before the issue date"),
        ({"current_cycle_start": "2026-12-07"}, "body.current_cycle_start", "after the board's today"),
        (
            {"current_cycle_start": "2025-03-01", "current_cycle_end": "2025-02-28"},
            "body.current_cycle_end",
            "before current_cycle_start",
        ),
        ({"current_cycle_end": "2027-02-28"}, "body.current_cycle_end", "needs current_cycle_start"),
        ({"carryover_hours": 2}, "body.carryover_hours", "needs current_cycle_start"),
    ]
    for extra, field, message in cases:
        body = problem(admin.post("/v1/certifications", json={**base, **extra}), 422)
        assert (body["errors"][0]["field"], message in body["errors"][0]["message"]) == (field, True), body


def test_an_issue_date_after_the_boards_today_is_refused_everywhere(app, admin):
    set_today(app, date(2026, 12, 6))
    person = factories.person(admin)
    body = problem(
        admin.post(
            "/v1/certifications",
            json={
                "person_id": person["id"],
                "credential_code": "NC-CPSS",
                "number": "NC-F-1",
                "issued_on": "2026-12-07",
            },
        ),
        422,
    )
    assert body["errors"][0] == {
        "loc": ["body", "issued_on"],
        "field": "body.issued_on",
        "message": "after the board's today (2026-12-06)",
        "type": "value_error",
    }
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2026-12-06")
    body = problem(admin.patch(f"/v1/certifications/{cert['id']}", json={"issued_on": "2027-01-01"}), 422)
    assert body["errors"][0]["field"] == "body.issued_on"
    csv = (
        "given_name,family_name,email,credential_code,number,issued_on\r\n"
        "Ana,Ortiz,ana.future@example.org,NC-CPSS,NC-F-2,2026-12-07\r\n"
    )
    body = problem(
        admin.post("/v1/certifications/import", content=csv.encode(), headers={"content-type": "text/csv"}), 422
    )
    assert body["errors"][0]["field"] == "row 1.issued_on" and "after the board's today" in body["errors"][0]["message"]


def test_the_csv_import_takes_a_migrated_records_current_cycle(app, admin, db):
    set_today(app, date(2026, 12, 6))
    csv = (
        "given_name,family_name,email,credential_code,number,issued_on,current_cycle_start,current_cycle_end,"
        "carryover_hours\r\n"
        "Jordan,Rivera,jordan.m@example.org,NC-CPSS,NC-IMP-0010,2023-02-01,2025-03-01,,\r\n"
        "Sam,Lee,sam.m@example.org,NC-CPSS,NC-IMP-0011,2019-06-10,2025-07-01,2027-07-31,1.5\r\n"
        "Ana,Ortiz,ana.m@example.org,NC-CPSS,NC-2026-0101,2026-05-04,,,\r\n"
    )
    headers = {"content-type": "text/csv"}
    dry = admin.post("/v1/certifications/import", params={"dry_run": "true"}, content=csv.encode(), headers=headers)
    assert dry.status_code == 200 and dry.json()["created"] == 3, dry.text
    response = admin.post("/v1/certifications/import", content=csv.encode(), headers=headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 3
    ids = [r["certification_id"] for r in report["rows"]]
    got = [admin.get(f"/v1/certifications/{i}").json() for i in ids]
    assert [(c["status"], c["cycle_start"], c["cycle_end"]) for c in got] == [
        ("due_soon", "2025-03-01", "2027-02-28"),
        ("in_progress", "2025-07-01", "2027-07-31"),
        ("in_progress", "2026-05-04", "2028-05-31"),
    ]
    assert [len(_renewals(db, i)) for i in ids] == [1, 3, 0]
    again = admin.post("/v1/certifications/import", content=csv.encode(), headers=headers).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    moved = csv.replace("2025-03-01,,", "2025-02-01,,")
    again = admin.post("/v1/certifications/import", content=moved.encode(), headers=headers).json()
    assert (again["updated"], again["unchanged"]) == (1, 2)
    assert [(r.cycle_end, r.reopened_on) for r in _renewals(db, ids[0])] == [
        (date(2025, 2, 28), date(2026, 12, 6)),
        (date(2025, 1, 31), None),
    ]


# --- backfill ---------------------------------------------------------------------------------------------------


def test_a_course_entered_today_takes_last_months_completions(app, admin):
    """`available_from` is optional: without it a course puts no lower bound on completion dates, and its
    approvals' own dates still decide credit."""
    set_today(app, date(2026, 12, 4))
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=3)
    assert course["available_from"] is None
    person = factories.person(admin)
    cert = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    response = admin.post(
        "/v1/completions", json={"person_id": person["id"], "course_id": course["id"], "completed_on": "2026-11-06"}
    )
    assert response.status_code == 201, response.text
    approval = admin.post(
        f"/v1/courses/{course['id']}/approvals",
        json={"credential_code": "NC-CPSS", "categories": [], "hours": 1, "valid_from": "2026-12-01"},
    )
    assert approval.status_code == 201, approval.text
    compliance = admin.get(f"/v1/certifications/{cert['id']}/compliance").json()
    assert compliance["earned_hours"] == 3  # the approval (and its hours) starts after the completion
    dated = new_course(admin, provider["id"], hours=3, available_from="2026-12-01")
    body = problem(
        admin.post(
            "/v1/completions", json={"person_id": person["id"], "course_id": dated["id"], "completed_on": "2026-11-06"}
        ),
        422,
    )
    assert "only exists from 2026-12-01" in str(body)
