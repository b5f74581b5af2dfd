"""The sweep: a year of daily runs records exactly the flags and renewals the engine implies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from app.certifications.models import Certification
from app.compliance import dirty as compliance_dirty
from app.compliance import facts as compliance
from app.scheduler.models import Flag, Outbox, Renewal, SweepRun
from tests import factories
from tests.catalog.helpers import new_course, new_provider, problem
from tests.scheduler.helpers import days, evaluate, set_today, sweep

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
WARN = {"due_soon", "overdue"}


def _population(admin):
    """Several credentials and issue dates, so due_soon, overdue, lapsed and back-to-compliant all occur."""
    p_b = factories.person(admin)
    certs = {
        "ky_no_ce": factories.certification(admin, credential_code="KY-APSS", issued_on="2025-03-01"),
        "ky_late_ok": factories.certification(
            admin, person_id=p_b["id"], credential_code="KY-APSS", issued_on="2025-06-01"
        ),
        "ky_early_ok": factories.certification(admin, credential_code="KY-APSS", issued_on="2025-09-01"),
        "nc_grace_ok": factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-03-10"),
        "nc_lapses": factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-08-05"),
        "ga_overdue": factories.certification(admin, credential_code="GA-CPS-AD", issued_on="2025-02-01"),
        "va_suspended": factories.certification(admin, credential_code="VA-RPRS", issued_on="2025-05-01"),
        "nc_quiet": factories.certification(
            admin, person_id=p_b["id"], credential_code="NC-CPSS", issued_on="2025-11-20"
        ),
        "wv": factories.certification(admin, credential_code="WV-PRSS-MH", issued_on="2024-09-15"),
        "ky_fpss": factories.certification(admin, credential_code="KY-FPSS", issued_on="2025-02-10"),
    }
    provider = new_provider(admin)
    course = {h: new_course(admin, provider["id"], hours=h, available_from="2024-01-01")["id"] for h in (3, 6, 10)}
    course_b = {h: new_course(admin, provider["id"], hours=h, available_from="2024-01-01")["id"] for h in (3, 10)}
    # (day, certification whose person completes, course)
    completions = [
        (date(2026, 1, 20), "ky_fpss", course[3]),
        (date(2026, 2, 5), "ky_fpss", course_b[3]),
        (date(2026, 2, 10), "ky_early_ok", course[6]),
        (date(2026, 4, 10), "nc_grace_ok", course[10]),
        (date(2026, 4, 15), "ky_late_ok", course[6]),
        (date(2026, 4, 20), "nc_grace_ok", course_b[10]),
    ]
    actions = [
        (date(2026, 2, 15), "va_suspended", "suspend"),
        (date(2026, 11, 2), "nc_lapses", "reinstate"),
    ]
    return certs, completions, actions


def _expected_flags(db, cert_ids: list[int]) -> dict[tuple[int, date, str], date]:
    """The flag rule applied to the engine's answer on every day of the year, independently of the sweep."""
    certs = list(db.exec(select(Certification).where(col(Certification.id).in_(cert_ids))))
    inputs = compliance.gather(db, [c.id for c in certs])
    expected: dict[tuple[int, date, str], date] = {}
    warned: set[tuple[int, date]] = set()
    for day in days(YEAR_START, YEAR_END):
        for cid in cert_ids:
            result = evaluate(inputs[cid], day)
            if result.status in ("due_soon", "overdue", "lapsed"):
                expected.setdefault((cid, result.cycle_start, result.status), day)
                if result.status in WARN:
                    warned.add((cid, result.cycle_start))
            met_cycles = [c.start for c in result.cycles[:-1]]
            if result.status == "compliant":
                met_cycles.append(result.cycle_start)
            for start in met_cycles:
                if (cid, start) in warned:
                    expected.setdefault((cid, start, "compliant"), day)
    return expected


def test_a_year_of_daily_sweeps_records_exactly_the_flags_the_engine_implies(app, admin, db):
    set_today(app, YEAR_START)
    certs, completions, actions = _population(admin)
    ids = {name: c["id"] for name, c in certs.items()}
    runs = []
    for day in days(YEAR_START, YEAR_END):
        set_today(app, day)
        for when, name, course_id in completions:
            if when == day:
                person_id = certs[name]["person"]["id"]
                response = admin.post(
                    "/v1/completions",
                    json={"person_id": person_id, "course_id": course_id, "completed_on": day.isoformat()},
                )
                assert response.status_code == 201, response.text
        for when, name, kind in actions:
            if when == day:
                response = admin.post(
                    f"/v1/certifications/{ids[name]}/actions",
                    json={"kind": kind, "effective_on": day.isoformat(), "reason": "board decision"},
                )
                assert response.status_code == 201, response.text
        runs.append(sweep(app))
        again = sweep(app)
        assert (again.evaluated, again.flagged, again.renewed, again.notified) == (0, 0, 0, 0), day

    expected = _expected_flags(db, list(ids.values()))
    stored = {
        (f.certification_id, f.cycle_start, f.status): f.raised_on
        for f in db.exec(select(Flag).where(col(Flag.certification_id).in_(list(ids.values()))))
    }
    assert stored == expected
    # the scenario exercises every kind of flag, and the quiet ones stay quiet
    assert {status for (_, _, status) in expected} == {"due_soon", "overdue", "lapsed", "compliant"}
    flagged = {cid for (cid, _, _) in expected}
    assert ids["nc_quiet"] not in flagged and ids["ky_early_ok"] not in flagged
    assert (ids["nc_grace_ok"], date(2024, 3, 10), "compliant") in expected  # met late, in grace
    assert (ids["ky_late_ok"], date(2025, 6, 1), "compliant") in expected  # met while due soon
    assert not any(cid == ids["va_suspended"] and day > date(2026, 2, 15) for (cid, _, _), day in expected.items())
    # the daily runs were incremental: far fewer evaluations than certifications x days
    assert sum(r.evaluated for r in runs) < len(ids) * 40
    assert sum(r.flagged for r in runs) == len(expected)

    # stored renewals agree with the derivation as of the last day: every cycle passed over is recorded, and the
    # walk passes it over as a recorded renewal (its data still meets it)
    inputs = compliance.gather(db, list(ids.values()))
    derived = set()
    for cid in ids.values():
        result = evaluate(inputs[cid], YEAR_END)
        assert all(c.renewed_on is not None and c.met for c in result.cycles[:-1])
        derived |= {(cid, c.start, c.end, c.met_on) for c in result.cycles[:-1]}
    renewals = {
        (r.certification_id, r.cycle_start, r.cycle_end, r.met_on)
        for r in db.exec(select(Renewal).where(col(Renewal.certification_id).in_(list(ids.values()))))
    }
    assert renewals == derived
    assert {cid for (cid, *_rest) in renewals} >= {
        ids["ky_late_ok"],
        ids["ky_early_ok"],
        ids["nc_grace_ok"],
        ids["ky_fpss"],
    }
    assert sum(r.renewed for r in runs) == len(renewals)

    # each flag queued one email to the peer (no webhooks subscribed)
    outbox = list(db.exec(select(Outbox)))
    assert len(outbox) == len(expected) and {o.channel for o in outbox} == {"email"}

    # the history endpoint shows them
    history = admin.get(f"/v1/certifications/{ids['nc_grace_ok']}/history").json()
    assert [(r["cycle_start"], r["met_on"]) for r in history["renewals"]] == [("2024-03-10", "2026-04-20")]
    assert [f["status"] for f in history["flags"]] == ["due_soon", "overdue", "compliant"]
    assert history["cycles"][0]["met_on"] == "2026-04-20"


def test_a_second_sweep_on_the_same_day_does_nothing(app, admin):
    set_today(app, date(2026, 3, 1))
    for issued in ("2025-03-01", "2025-04-15", "2024-01-10"):
        factories.certification(admin, credential_code="KY-APSS", issued_on=issued)
    first = sweep(app)
    assert first.evaluated >= 3 and first.flagged >= 2
    second = sweep(app)
    assert (second.evaluated, second.flagged, second.renewed, second.notified) == (0, 0, 0, 0)
    set_today(app, date(2026, 3, 2))
    assert sweep(app).flagged == 0


def test_only_marked_certifications_are_reevaluated_after_a_write(app, admin, db):
    set_today(app, date(2026, 1, 5))
    one, two = factories.person(admin), factories.person(admin)
    mine = [
        factories.certification(admin, person_id=one["id"], credential_code=code, issued_on="2025-11-01")
        for code in ("KY-APSS", "NC-CPSS")
    ]
    factories.certification(admin, person_id=two["id"], credential_code="KY-APSS", issued_on="2025-11-01")
    sweep(app)
    assert sweep(app).evaluated == 0

    compliance_dirty.mark(db, person_ids=[one["id"]])
    db.commit()
    run = sweep(app)
    assert run.evaluated == len(mine)
    assert sweep(app).evaluated == 0

    # a write through the API: a completion for the other person marks only their certification
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=2, available_from="2024-01-01")
    response = admin.post(
        "/v1/completions", json={"person_id": two["id"], "course_id": course["id"], "completed_on": "2026-01-04"}
    )
    assert response.status_code == 201, response.text
    assert sweep(app).evaluated == 1

    # a board action too
    response = admin.post(
        f"/v1/certifications/{mine[0]['id']}/actions",
        json={"kind": "suspend", "effective_on": "2026-01-05", "reason": "complaint review"},
    )
    assert response.status_code == 201
    assert sweep(app).evaluated == 1
    db.expire_all()
    assert db.get(Certification, mine[0]["id"]).status == "suspended"


def test_full_sweep_reevaluates_everything_and_as_of_applies_to_all(app, admin, db):
    set_today(app, date(2026, 1, 5))
    certs = [
        factories.certification(admin, credential_code=code, issued_on="2025-02-01")
        for code in ("KY-APSS", "CA-CMPSS", "NC-CPSS")
    ]
    sweep(app)
    total = db.exec(select(Certification)).all()
    assert sweep(app, full=True).evaluated == len(total)
    set_today(app, date(2026, 2, 3))
    run = sweep(app, as_of=date(2026, 2, 2))
    assert run.as_of == date(2026, 2, 2)
    db.expire_all()
    ky = db.get(Certification, certs[0]["id"])
    assert ky.evaluated_on == date(2026, 2, 2) and ky.status == "lapsed" and not ky.dirty
    flags = {f.status for f in db.exec(select(Flag).where(Flag.certification_id == ky.id))}
    assert flags == {"due_soon", "lapsed"}


def test_a_sweep_never_runs_in_the_future(app, admin, db):
    """Time travel would store statuses, raise flags and queue notifications for days that have not come."""
    set_today(app, date(2026, 1, 5))
    factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-01-01")
    counts = [len(db.exec(select(model)).all()) for model in (SweepRun, Flag, Outbox)]
    for as_of, why in (("2026-01-06", "never runs in the future"), ("9999-12-31", "from 1950-01-01 to 2100-12-31")):
        body = problem(admin.post("/v1/sweeps", json={"as_of": as_of}), 422)
        assert body["errors"][0]["field"] == "body.as_of" and why in body["detail"] + body["errors"][0]["message"]
    db.expire_all()
    assert [len(db.exec(select(model)).all()) for model in (SweepRun, Flag, Outbox)] == counts
    assert admin.post("/v1/sweeps", json={"as_of": "2026-01-05"}).status_code == 201


def test_each_certification_is_evaluated_as_of_its_boards_today(app, admin, db):
    """At 06:00 UTC on January 1 it is the 1st in New York but still December 31 in Los Angeles."""
    from datetime import UTC, datetime

    from app.clock import FixedClock

    app.state.clock = FixedClock(datetime(2026, 1, 1, 6, 0, tzinfo=UTC))
    ky = factories.certification(admin, credential_code="KY-APSS", issued_on="2025-01-01")  # America/New_York
    ca = factories.certification(admin, credential_code="CA-CMPSS", issued_on="2024-01-01")  # America/Los_Angeles
    sweep(app)
    db.expire_all()
    assert db.get(Certification, ky["id"]).evaluated_on == date(2026, 1, 1)
    assert db.get(Certification, ca["id"]).evaluated_on == date(2025, 12, 31)
    assert db.get(Certification, ca["id"]).status == "due_soon"  # its cycle ends on 2025-12-31 there
    app.state.clock = FixedClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    run = sweep(app)
    assert run.evaluated == 1  # the Los Angeles one, whose day has now come
    db.expire_all()
    assert db.get(Certification, ca["id"]).status == "lapsed"
    flag = db.exec(select(Flag).where(Flag.certification_id == ca["id"], Flag.status == "lapsed")).one()
    assert flag.raised_on == date(2026, 1, 1)


def test_a_recorded_renewal_stands_when_the_issue_date_is_corrected_and_is_flagged_for_review(app, admin, db):
    """A renewal is never withdrawn (it used to be, with `renewal_withdrawn`): when a corrected issue date means
    the renewed cycle is no longer a cycle of the certification, it stands and the sweep raises one review."""
    set_today(app, date(2026, 3, 1))
    cert = factories.certification(admin, credential_code="KY-APSS", issued_on="2024-02-01")
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=6, available_from="2024-01-01")
    admin.post(
        "/v1/completions",
        json={"person_id": cert["person"]["id"], "course_id": course["id"], "completed_on": "2024-12-01"},
    )
    sweep(app)
    assert [
        (r.cycle_start, r.met_on) for r in db.exec(select(Renewal).where(Renewal.certification_id == cert["id"]))
    ] == [(date(2024, 2, 1), date(2024, 12, 1))]
    response = admin.patch(f"/v1/certifications/{cert['id']}", json={"issued_on": "2025-01-15"})
    assert response.status_code == 200
    sweep(app)
    sweep(app, full=True)
    db.expire_all()
    assert [
        (r.cycle_start, r.reopened_on) for r in db.exec(select(Renewal).where(Renewal.certification_id == cert["id"]))
    ] == [(date(2024, 2, 1), None)]
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert "renewal_withdrawn" not in [e["action"] for e in history["events"]]
    reviews = [f for f in history["flags"] if f["status"] == "renewal_review"]
    assert len(reviews) == 1 and reviews[0]["cycle_start"] == "2024-02-01"
    assert "no longer a cycle of this certification" in " ".join(reviews[0]["reasons"])


def test_sweep_runs_are_recorded_and_listed_newest_first(app, admin, db):
    set_today(app, date(2026, 1, 5))
    factories.certification(admin, credential_code="KY-APSS", issued_on="2025-02-01")
    response = admin.post("/v1/sweeps", json={})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["evaluated"] >= 1 and body["flagged"] >= 1 and body["skipped"] is False
    assert body["triggered_by"].startswith("admin:") and body["duration_ms"] >= 0
    assert response.headers["location"] == f"/v1/sweeps/{body['id']}"
    assert admin.get(response.headers["location"]).json() == body
    assert admin.get("/v1/sweeps/999999").status_code == 404
    again = admin.post("/v1/sweeps", json={"as_of": "2026-01-05", "full": True}).json()
    assert again["full"] is True and again["as_of"] == "2026-01-05"
    page = admin.get("/v1/sweeps", params={"limit": 1}).json()
    assert page["items"][0]["id"] == again["id"] and page["next_cursor"]
    rest = admin.get("/v1/sweeps", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] == body["id"]
    assert db.get(SweepRun, body["id"]).finished_at is not None
    assert admin.post("/v1/sweeps", json={"as_of": "not-a-date"}).status_code == 422
    assert admin.post("/v1/sweeps", json={"everything": True}).status_code == 422


def test_flags_list_filters_and_pages(app, admin):
    set_today(app, date(2026, 1, 5))
    for issued in ("2025-02-01", "2025-03-01", "2025-01-01"):
        factories.certification(admin, credential_code="KY-APSS", issued_on=issued)
    factories.certification(admin, credential_code="NC-CPSS", issued_on="2024-02-01")
    sweep(app)
    ky = admin.get("/v1/flags", params={"credential_code": "ky-apss", "limit": 200}).json()["items"]
    assert ky and all(f["credential_code"] == "KY-APSS" and f["state"] == "KY" for f in ky)
    assert set(ky[0]) >= {
        "certification_id",
        "credential_code",
        "state",
        "status",
        "cycle_start",
        "raised_on",
        "raised_at",
    }
    lapsed = admin.get("/v1/flags", params={"status": "lapsed", "limit": 200}).json()["items"]
    assert lapsed and {f["status"] for f in lapsed} == {"lapsed"}
    assert admin.get("/v1/flags", params={"since": "2026-01-06"}).json()["items"] == []
    seen, cursor = [], None
    while True:
        page = admin.get("/v1/flags", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [f["id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert admin.get("/v1/flags", params={"status": "in_progress"}).status_code == 422
    assert admin.get("/v1/flags", params={"cursor": "garbage!"}).status_code == 400


def test_a_certification_that_cannot_be_evaluated_stays_dirty(app, admin, db):
    """WA cycles end on the holder's birthday: without it the sweep skips the row and keeps it dirty."""
    set_today(app, date(2026, 1, 5))
    cert = factories.certification(admin, credential_code="WA-CPSS", issued_on="2025-02-01")
    run = sweep(app)
    db.expire_all()
    assert db.get(Certification, cert["id"]).dirty is True
    assert run.error is None


def test_renewal_history_spans_reinstatements(app, admin, db):
    """Cycles met before a lapse and reinstatement stay recorded after the new chain starts."""
    set_today(app, date(2026, 6, 1))
    cert = factories.certification(admin, credential_code="KY-APSS", issued_on="2023-01-10")
    provider = new_provider(admin)
    course = new_course(admin, provider["id"], hours=6, available_from="2022-01-01")
    admin.post(
        "/v1/completions",
        json={"person_id": cert["person"]["id"], "course_id": course["id"], "completed_on": "2023-05-01"},
    )
    admin.post(
        f"/v1/certifications/{cert['id']}/actions",
        json={"kind": "reinstate", "effective_on": "2025-03-01", "reason": "reinstated after lapse"},
    )
    sweep(app)
    rows = [(r.cycle_start, r.met_on) for r in db.exec(select(Renewal).where(Renewal.certification_id == cert["id"]))]
    assert rows == [(date(2023, 1, 10), date(2023, 5, 1))]
    history = admin.get(f"/v1/certifications/{cert['id']}/history").json()
    assert history["renewals"][0]["cycle_start"] == "2023-01-10"
    assert history["cycles"][0]["start"] == "2025-03-01"


def test_mark_dirty_marks_by_person_certification_and_credential_and_keeps_dirty_rows_dirty(app, admin, db):
    """Every selector marks exactly its certifications (one array parameter on PostgreSQL); no other row moves."""
    set_today(app, date(2026, 1, 5))
    people = [factories.person(admin) for _ in range(3)]
    ky = [
        factories.certification(admin, person_id=p["id"], credential_code="KY-APSS", issued_on="2025-11-01")
        for p in people
    ]
    nc = factories.certification(admin, person_id=people[0]["id"], credential_code="NC-CPSS", issued_on="2025-11-01")
    sweep(app)

    def dirty() -> set[int]:
        db.expire_all()
        return set(db.exec(select(Certification.id).where(col(Certification.dirty))).all())

    assert dirty() == set()
    compliance_dirty.mark(db, person_ids=[people[0]["id"], people[0]["id"]])
    assert dirty() == {ky[0]["id"], nc["id"]}
    compliance_dirty.mark(db, person_ids=[people[0]["id"]], certification_ids=[ky[2]["id"]])  # already dirty stay dirty
    assert dirty() == {ky[0]["id"], nc["id"], ky[2]["id"]}
    compliance_dirty.mark(db, credential_codes=["NC-CPSS"])
    assert dirty() == {ky[0]["id"], nc["id"], ky[2]["id"]}
    db.commit()
    assert sweep(app).evaluated == 3
    compliance_dirty.mark(db, credential_codes=["KY-APSS"])
    assert dirty() == {c["id"] for c in ky}
    compliance_dirty.mark(db)  # nothing given: nothing marked
    assert dirty() == {c["id"] for c in ky}


def test_a_run_whose_snapshot_fails_keeps_its_last_batch_and_records_the_error(app, admin, db, monkeypatch):
    """In process, the snapshot and the run's record are written in the last batch's transaction, in a savepoint:
    when they fail, the batch still commits (its certifications clean, its flags raised) and the run records the
    error, as when they had a transaction of their own."""
    from app.reports import snapshots
    from app.reports.models import ComplianceSnapshot

    set_today(app, date(2026, 3, 1))
    cert = factories.certification(admin, credential_code="KY-APSS", issued_on="2025-03-01")

    def broken(session, **kw):
        session.execute(select(ComplianceSnapshot))  # the savepoint's work is undone with it
        raise RuntimeError("snapshot failed")

    monkeypatch.setattr(snapshots, "record", broken)
    with pytest.raises(RuntimeError, match="snapshot failed"):
        sweep(app)
    db.expire_all()
    row = db.get(Certification, cert["id"])
    assert row.dirty is False and row.evaluated_on == date(2026, 3, 1) and row.status == "lapsed"
    assert db.exec(select(Flag).where(Flag.certification_id == cert["id"])).all()
    run = db.exec(select(SweepRun).order_by(col(SweepRun.id).desc())).first()
    assert run.error == "RuntimeError: snapshot failed" and run.evaluated == 1 and run.flagged >= 1
    assert run.finished_at is not None and not db.exec(select(ComplianceSnapshot)).all()

    monkeypatch.undo()
    again = sweep(app)
    assert again.error is None and again.evaluated == 0 and db.exec(select(ComplianceSnapshot)).all()
