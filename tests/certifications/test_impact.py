"""Impact before change: every change that can move statuses previews them with `dry_run=true`, writes
nothing then, and reports the same changes when it is made."""

from __future__ import annotations

from datetime import date

from sqlmodel import func, select

from app.audit.models import AuditEntry
from app.catalog.models import CourseApproval
from app.certifications.models import BoardAction
from app.completions.models import Completion
from app.rules.models import RuleSetVersion
from tests import factories
from tests.catalog.helpers import new_course, new_provider
from tests.scheduler.helpers import set_today


def _counts(db) -> tuple[int, ...]:
    db.expire_all()
    return tuple(
        db.exec(select(func.count()).select_from(m)).one()
        for m in (AuditEntry, BoardAction, CourseApproval, RuleSetVersion)
    )


def _same_changes(dry: dict, real: dict) -> None:
    assert real["impact"]["changes"] == dry["changes"] and real["impact"]["counts"] == dry["counts"]


def test_a_board_action_previews_its_effect_and_then_reports_the_same(app, admin, db):
    set_today(app, date(2026, 1, 5))
    cert = factories.certification(admin, credential_code="NC-CPSS", issued_on="2025-03-15")
    before = _counts(db)
    body = {"kind": "suspend", "effective_on": "2026-01-02", "reason": "Pending review of a complaint"}
    dry = admin.post(f"/v1/certifications/{cert['id']}/actions", params={"dry_run": "true"}, json=body)
    assert dry.status_code == 200, dry.text
    [change] = dry.json()["changes"]
    assert change["certification_id"] == cert["id"] and change["number"] == cert["number"]
    assert change["before"]["status"] == "in_progress" and change["after"]["status"] == "suspended"
    assert dry.json()["counts"] == {"before": {"in_progress": 1}, "after": {"suspended": 1}}
    assert _counts(db) == before  # no action, no audit entry
    assert admin.get(f"/v1/certifications/{cert['id']}").json()["status"] == "in_progress"
    real = admin.post(f"/v1/certifications/{cert['id']}/actions", json=body)
    assert real.status_code == 201 and real.json()["kind"] == "suspend"
    _same_changes(dry.json(), real.json())
    assert admin.get(f"/v1/certifications/{cert['id']}").json()["status"] == "suspended"


def test_a_void_previews_the_hours_it_takes_away(app, admin, client, tokens, db):
    set_today(app, date(2026, 1, 5))
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=3, available_from="2024-01-01")
    person = factories.person(admin)
    cert = factories.certification(admin, person_id=person["id"], credential_code="NC-CPSS", issued_on="2025-03-15")
    cid = admin.post(
        "/v1/completions", json={"person_id": person["id"], "course_id": course["id"], "completed_on": "2025-06-10"}
    ).json()["id"]
    dry = admin.post(f"/v1/completions/{cid}/void", params={"dry_run": "true"}, json={"reason": "Not attended"})
    assert dry.status_code == 200
    [change] = dry.json()["changes"]
    assert (change["before"]["earned_hours"], change["after"]["earned_hours"]) == (3, 0)
    assert db.get(Completion, cid).status == "accepted"
    real = admin.post(f"/v1/completions/{cid}/void", json={"reason": "Not attended"})
    assert real.json()["status"] == "voided"
    _same_changes(dry.json(), real.json())
    assert cert["id"] == change["certification_id"]


def test_an_approval_and_its_withdrawal_preview_who_gains_and_loses_credit(app, admin, client, tokens, db):
    set_today(app, date(2026, 1, 5))
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=2, available_from="2024-01-01")
    people = [factories.person(admin) for _ in range(3)]
    certs = [
        factories.certification(admin, person_id=p["id"], credential_code="VA-RPRS", issued_on="2025-02-01")
        for p in people
    ]
    for p in people[:2]:  # two of three took the course
        admin.post(
            "/v1/completions", json={"person_id": p["id"], "course_id": course["id"], "completed_on": "2025-06-10"}
        )
    va = client.as_(tokens.board("VA"))
    body = {"credential_code": "VA-RPRS", "categories": ["ethics"]}
    before = _counts(db)
    dry = va.post(f"/v1/courses/{course['id']}/approvals", params={"dry_run": "true"}, json=body)
    assert dry.status_code == 200
    assert sorted(c["certification_id"] for c in dry.json()["changes"]) == sorted(c["id"] for c in certs[:2])
    assert all((c["before"]["earned_hours"], c["after"]["earned_hours"]) == (0, 2) for c in dry.json()["changes"])
    assert _counts(db) == before
    real = va.post(f"/v1/courses/{course['id']}/approvals", json=body)
    assert real.status_code == 201
    _same_changes(dry.json(), real.json())
    withdraw = {"withdrawn_on": "2025-01-01", "reason": "Approved in error"}
    url = f"/v1/courses/{course['id']}/approvals/{real.json()['id']}/withdraw"
    dry_back = va.post(url, params={"dry_run": "true"}, json=withdraw)
    assert [(c["before"]["earned_hours"], c["after"]["earned_hours"]) for c in dry_back.json()["changes"]] == [
        (2, 0),
        (2, 0),
    ]
    assert db.get(CourseApproval, real.json()["id"]).withdrawn_on is None
    done = va.post(url, json=withdraw)
    assert done.status_code == 200 and done.json()["withdrawn_on"] == "2025-01-01"
    _same_changes(dry_back.json(), done.json())


def test_a_rule_version_previews_the_statuses_it_moves(app, admin, db):
    set_today(app, date(2026, 1, 5))
    certs = [
        factories.certification(admin, credential_code="NC-CPSS", issued_on=issued)
        for issued in ("2024-03-01", "2025-03-15")
    ]
    current = admin.get("/v1/credentials/NC-CPSS").json()["current"]["rules"]
    stricter = {**current, "effective_from": "2024-01-01", "due_soon_days": 700}
    before = _counts(db)
    dry = admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=stricter)
    assert dry.status_code == 200, dry.text
    moved = {c["certification_id"]: c for c in dry.json()["changes"]}
    assert moved[certs[1]["id"]]["before"]["status"] == "in_progress"
    assert moved[certs[1]["id"]]["after"]["status"] == "due_soon"
    assert sum(dry.json()["counts"]["after"].values()) == sum(dry.json()["counts"]["before"].values())
    assert _counts(db) == before
    versions = len(admin.get("/v1/credentials/NC-CPSS").json()["versions"])
    real = admin.put("/v1/credentials/NC-CPSS", json=stricter)
    assert real.status_code == 200 and len(real.json()["versions"]) == versions + 1
    _same_changes(dry.json(), real.json())


def test_a_preview_shows_each_caller_only_the_certifications_it_may_see(app, admin, client, tokens):
    set_today(app, date(2026, 1, 5))
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=2, available_from="2024-01-01")
    person = factories.person(admin)
    for code in ("NC-CPSS", "PA-CPS"):
        factories.certification(admin, person_id=person["id"], credential_code=code, issued_on="2025-03-15")
    cid = admin.post(
        "/v1/completions", json={"person_id": person["id"], "course_id": course["id"], "completed_on": "2025-06-10"}
    ).json()["id"]

    def preview(caller) -> set[str]:
        response = caller.post(f"/v1/completions/{cid}/void", params={"dry_run": "true"}, json={"reason": "x y z"})
        assert response.status_code == 200, response.text
        return {c["credential_code"] for c in response.json()["changes"]}

    assert preview(admin) == {"NC-CPSS", "PA-CPS"}
    assert preview(client.as_(tokens.board("NC", "PA"))) == {"NC-CPSS", "PA-CPS"}
    assert preview(client.as_(tokens.provider(provider["id"]))) == set()  # a provider learns nothing of them


def test_a_rule_version_preview_is_what_publishing_then_does(app, admin, db):
    set_today(app, date(2026, 1, 5))
    certs = [
        factories.certification(admin, credential_code="NC-CPSS", issued_on=issued)
        for issued in ("2023-06-01", "2024-03-01", "2025-03-15")
    ]
    assert admin.post("/v1/sweeps", json={}).status_code == 201  # the cached statuses are current
    current = admin.get("/v1/credentials/NC-CPSS").json()["current"]["rules"]
    later = {**current, "effective_from": "2027-01-01", "due_soon_days": 700}
    untouched = admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=later).json()
    assert untouched == {"changes": [], "counts": {"before": {}, "after": {}}}  # no cycle starts that late yet
    stricter = {**current, "effective_from": "2024-01-01", "due_soon_days": 700}
    dry = admin.put("/v1/credentials/NC-CPSS", params={"dry_run": "true"}, json=stricter).json()
    assert admin.put("/v1/credentials/NC-CPSS", json=stricter).status_code == 200
    for change in dry["changes"]:
        after = admin.get(f"/v1/certifications/{change['certification_id']}/compliance").json()
        assert (after["status"], after["cycle_start"], after["earned_hours"]) == (
            change["after"]["status"],
            change["after"]["cycle_start"],
            change["after"]["earned_hours"],
        )
    assert dry["changes"] and {c["certification_id"] for c in dry["changes"]} <= {c["id"] for c in certs}
