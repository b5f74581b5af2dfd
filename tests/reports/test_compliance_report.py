"""The compliance report counts what the certifications list shows, in every scope, and its trend comes from
the snapshot each sweep records."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from app.certifications.models import Certification
from app.reports.models import ComplianceSnapshot
from tests.catalog.helpers import problem
from tests.reports.conftest import TODAY
from tests.reports.helpers import csv_rows, list_counts, pages, report_counts

SCOPES = {"admin": None, "board NC": ("NC",), "board PA and VA": ("PA", "VA")}


def _client(env, who: str):
    return env.admin if SCOPES[who] is None else env.board(*SCOPES[who])


@pytest.mark.parametrize("who", list(SCOPES))
def test_report_counts_equal_counting_the_certifications_list(env, who):
    client = _client(env, who)
    report = client.get("/v1/reports/compliance")
    assert report.status_code == 200, report.text
    counts = report_counts(report.json())
    assert counts == list_counts(client)
    assert sum(counts.values()) == client.get("/v1/certifications", params={"count": "true"}).json()["total"]
    assert {code.split("-")[0] for code, _ in counts} == (
        {"NC", "PA", "VA"} if SCOPES[who] is None else set(SCOPES[who])
    )
    for (code, status), n in counts.items():  # and per filter, as the list's own total says
        listed = client.get(
            "/v1/certifications", params={"credential_code": code, "status": status, "count": "true", "limit": 1}
        ).json()
        assert listed["total"] == n


@pytest.mark.parametrize("who", list(SCOPES))
def test_report_still_equals_the_list_after_writes_and_the_passing_of_time(env, who):
    admin = env.admin
    person = admin.post(
        "/v1/people", json={"given_name": "Late", "family_name": "Arrival", "email": "late@reports.example"}
    ).json()
    admin.post(
        "/v1/certifications",
        json={"person_id": person["id"], "credential_code": "PA-CPS", "number": "RPT-late", "issued_on": "2024-01-20"},
    )
    admin.post(
        f"/v1/certifications/{env.world['nc_new']}/actions",
        json={"kind": "suspend", "effective_on": "2026-01-02", "reason": "Suspended in the reports tests"},
    )
    env.sweep(date(2026, 2, 10))  # PA due soon ones end on 2026-01-31: overdue or lapsed now
    client = _client(env, who)
    counts = report_counts(client.get("/v1/reports/compliance").json())
    assert counts == list_counts(client)
    if SCOPES[who] is None:
        assert counts[("NC-CPSS", "suspended")] == 1 and counts[("PA-CPS", "due_soon")] == 0


def test_filters_narrow_a_boards_scope_and_never_widen_it(env):
    nc = env.board("NC")
    only_nc = nc.get("/v1/reports/compliance", params={"state": "nc"}).json()
    assert report_counts(only_nc) == list_counts(nc) and only_nc["state"] == "NC"
    assert nc.get("/v1/reports/compliance", params={"state": "VA"}).json()["items"] == []
    assert nc.get("/v1/reports/compliance", params={"credential_code": "va-rprs"}).json()["items"] == []
    pa = env.admin.get("/v1/reports/compliance", params={"credential_code": "pa-cps"}).json()
    assert pa["credential_code"] == "PA-CPS" and report_counts(pa) == list_counts(env.admin, credential_code="PA-CPS")


def test_csv_has_the_same_numbers(env):
    client = env.board("PA", "VA")
    body = client.get("/v1/reports/compliance").json()
    rows = csv_rows(client.get("/v1/reports/compliance", params={"format": "csv"}))
    assert Counter({(r["credential_code"], r["status"]): int(r["count"]) for r in rows}) == report_counts(body)
    by_accept = client.get("/v1/reports/compliance", headers={"Accept": "text/csv"})
    assert csv_rows(by_accept) == rows


@pytest.mark.parametrize("path", ["/v1/reports/compliance", "/v1/reports/compliance/trend", "/v1/reports/due"])
def test_training_centers_and_peers_are_refused_and_anonymous_callers_asked_for_a_token(env, path):
    problem(env.provider("alder").get(path), 403)
    problem(env.as_(env.tokens.peer(env.world["nina"])).get(path), 403)
    problem(env.client.get(path), 401)


# --- the trend -------------------------------------------------------------------------------------


def test_each_sweep_records_the_days_counts_and_the_trend_replays_them(env):
    seen = {TODAY: report_counts(env.admin.get("/v1/reports/compliance").json())}
    for day in (date(2026, 1, 20), date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 10)):
        env.sweep(day)
        seen[day] = report_counts(env.admin.get("/v1/reports/compliance").json())
    assert len({frozenset(c.items()) for c in seen.values()}) > 2  # the counts did move

    trend = env.admin.get("/v1/reports/compliance/trend", params={"from": "2026-01-01", "to": "2026-03-31"}).json()
    assert (trend["interval"], trend["from"], trend["to"]) == ("day", "2026-01-01", "2026-03-31")
    by_day: dict[str, Counter] = {}
    for point in trend["items"]:
        assert point["day"] == point["period"]
        by_day.setdefault(point["period"], Counter())[point["status"]] += point["count"]
    assert by_day == {day.isoformat(): _by_status(counts) for day, counts in seen.items()}

    monthly = env.admin.get(
        "/v1/reports/compliance/trend", params={"interval": "month", "from": "2026-01-01", "to": "2026-03-31"}
    ).json()
    months: dict[str, Counter] = {}
    for point in monthly["items"]:
        months.setdefault(point["period"], Counter())[point["status"]] += point["count"]
    last_of = {"2026-01-01": date(2026, 1, 20), "2026-02-01": date(2026, 2, 28), "2026-03-01": date(2026, 3, 10)}
    assert months == {m: _by_status(seen[d]) for m, d in last_of.items()}
    assert {p["day"] for p in monthly["items"] if p["period"] == "2026-02-01"} == {"2026-02-28"}


def _by_status(counts: Counter) -> Counter:
    out: Counter = Counter()
    for (_, status), n in counts.items():
        out[status] += n
    return out


def test_a_boards_trend_counts_its_states_only(env):
    env.sweep(date(2026, 1, 6))
    for states in (("NC",), ("PA", "VA")):
        client = env.board(*states)
        trend = client.get("/v1/reports/compliance/trend", params={"from": "2026-01-06", "to": "2026-01-06"}).json()
        got = Counter({p["status"]: p["count"] for p in trend["items"]})
        assert got == _by_status(report_counts(client.get("/v1/reports/compliance").json()))
        assert client.get("/v1/reports/compliance/trend", params={"state": "WV"}).json()["items"] == []


def test_a_day_keeps_the_counts_of_its_last_sweep_one_row_per_credential_and_status(env, db):
    admin = env.admin
    person = admin.post(
        "/v1/people", json={"given_name": "Same", "family_name": "Day", "email": "same.day@reports.example"}
    ).json()
    admin.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "NC-CPSS",
            "number": "RPT-same-day",
            "issued_on": "2025-12-01",
        },
    )
    env.sweep(TODAY)  # a second run on TODAY: its counts replace the first run's
    trend = admin.get("/v1/reports/compliance/trend", params={"from": TODAY.isoformat()}).json()
    assert (
        sum(p["count"] for p in trend["items"])
        == admin.get("/v1/certifications", params={"count": "true"}).json()["total"]
    )
    rows = env.connection.execute(
        select(func.count()).select_from(ComplianceSnapshot).where(ComplianceSnapshot.day == TODAY)
    ).scalar()
    assert rows == len(admin.get("/v1/reports/compliance").json()["items"])


def _snapshot_of(env, day: date) -> tuple[dict[tuple[str, str], tuple[str, int]], set[int | None]]:
    """The day's snapshot rows, {(credential, status): (state, count)}, and the runs they name."""
    s = ComplianceSnapshot
    query = select(s.credential_code, s.status, s.state, s.count, s.sweep_run_id).where(s.day == day)
    rows = env.connection.execute(query).all()
    return {(code, status): (state, n) for code, status, state, n, _ in rows}, {run for *_, run in rows}


def _grouped(env) -> dict[tuple[str, str], tuple[str, int]]:
    """Every certification counted by credential, state and status: what a snapshot must hold."""
    c = Certification
    query = select(c.credential_code, c.state, c.status, func.count()).group_by(c.credential_code, c.state, c.status)
    return {(code, status): (state, n) for code, state, status, n in env.connection.execute(query)}


def test_each_run_of_a_day_leaves_its_snapshot_equal_to_counting_every_certification(env):
    """Certifications created, changed by board actions and deleted between two runs of a day: the day's rows
    are the full count again after each run, every one of them the last run's, and a credential's status that
    no certification has any more loses its row."""
    admin = env.admin
    person = admin.post(
        "/v1/people", json={"given_name": "Snap", "family_name": "Shot", "email": "snap.shot@reports.example"}
    ).json()
    created = [
        admin.post(
            "/v1/certifications",
            json={"person_id": person["id"], "credential_code": code, "number": f"RPT-snap-{n}", "issued_on": day},
        ).json()["id"]
        for n, (code, day) in enumerate([("VA-RPRS", "2025-03-01"), ("PA-CPS", "2025-08-01")])
    ]
    first = env.sweep(TODAY)
    rows, runs = _snapshot_of(env, TODAY)
    assert rows == _grouped(env) and runs == {first.id}
    assert ("VA-RPRS", "lapsed") in rows

    admin.post(  # the only lapsed VA-RPRS certification is suspended: that status is gone from VA-RPRS
        f"/v1/certifications/{env.world['va_old']}/actions",
        json={"kind": "suspend", "effective_on": "2026-01-02", "reason": "Suspended in the snapshot test"},
    )
    admin.post(
        "/v1/certifications",
        json={
            "person_id": person["id"],
            "credential_code": "NC-CPSS",
            "number": "RPT-snap-2",
            "issued_on": "2025-10-01",
        },
    )
    env.connection.execute(delete(Certification).where(Certification.id == created[1]))  # as an operator would
    second = env.sweep(TODAY)
    rows, runs = _snapshot_of(env, TODAY)
    assert rows == _grouped(env) and runs == {second.id}
    assert ("VA-RPRS", "lapsed") not in rows and rows[("VA-RPRS", "suspended")][1] == 1
    assert sum(n for _, n in rows.values()) == admin.get("/v1/certifications", params={"count": "true"}).json()["total"]


def test_back_fills_record_only_what_they_evaluated_in_full(env):
    env.sweep(TODAY, as_of=TODAY - timedelta(days=3))  # incremental, as of a past day: a mix of dates
    env.sweep(TODAY, as_of=TODAY - timedelta(days=2), full=True)  # every certification as of that day
    days = {p["day"] for p in env.admin.get("/v1/reports/compliance/trend").json()["items"]}
    assert (TODAY - timedelta(days=3)).isoformat() not in days
    assert {(TODAY - timedelta(days=2)).isoformat(), TODAY.isoformat()} <= days


def test_trend_periods_are_checked(env):
    admin = env.admin
    body = problem(admin.get("/v1/reports/compliance/trend", params={"from": "2026-02-01", "to": "2026-01-01"}), 422)
    assert body["errors"][0]["field"] == "query.from"
    problem(admin.get("/v1/reports/compliance/trend", params={"from": "2020-01-01", "to": "2026-01-01"}), 422)
    problem(admin.get("/v1/reports/compliance/trend", params={"interval": "week"}), 422)
    yearly = admin.get("/v1/reports/compliance/trend", params={"interval": "month"}).json()
    assert (yearly["from"], yearly["to"]) == ("2025-02-01", TODAY.isoformat())
    ten_years = admin.get("/v1/reports/compliance/trend", params={"interval": "month", "from": "2016-02-01"})
    assert ten_years.status_code == 200


def test_lists_of_every_scope_agree_with_the_report_status_by_status(env):
    """The due soon ones a board sees in the report are exactly the ones it can page through."""
    client = env.board("NC", "PA")
    for item in client.get("/v1/reports/compliance").json()["items"]:
        listed = pages(client, "/v1/certifications", credential_code=item["credential_code"], status=item["status"])
        assert len(listed) == item["count"]
