"""The due list: who must finish CE soon, soonest first, with what each still needs (as their compliance says)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import TypeAdapter
from sqlmodel import Session

from app.compliance import facts as compliance
from app.reports import due
from app.reports.schemas import RequirementGap
from tests.catalog.helpers import problem
from tests.reports.conftest import TODAY
from tests.reports.helpers import csv_rows, dec, pages

OPEN = {"in_progress", "due_soon", "overdue"}


def _expected(client, *, within: int, as_of: date = TODAY) -> list[tuple[str, int]]:
    """(deadline, id) of every certification the list shows with an open cycle ending in time, in order."""
    out = []
    for c in pages(client, "/v1/certifications", limit=50):
        if c["status"] not in OPEN:
            continue
        deadline = c["grace_ends_on"] if c["status"] == "overdue" else c["cycle_end"]
        if date.fromisoformat(deadline) <= as_of + timedelta(days=within):
            out.append((deadline, c["id"]))
    return sorted(out)


@pytest.mark.parametrize("states", [None, ("NC",), ("PA", "VA")], ids=["admin", "board NC", "board PA and VA"])
def test_due_list_is_the_open_cycles_ending_in_time_soonest_first(env, states):
    client = env.admin if states is None else env.board(*states)
    for within in (30, 90, 366):
        body = client.get("/v1/reports/due", params={"within_days": within, "limit": 200}).json()
        assert (body["as_of"], body["within_days"], body["next_cursor"]) == (TODAY.isoformat(), within, None)
        got = [(i["deadline"], i["certification_id"]) for i in body["items"]]
        assert got == _expected(client, within=within)
        for i in body["items"]:
            assert i["days_left"] == (date.fromisoformat(i["deadline"]) - TODAY).days
            if states is not None:
                assert i["state"] in states
    assert client.get("/v1/reports/due", params={"within_days": 90}).json()["items"], "the world has due ones"


def test_each_item_says_what_the_certifications_compliance_says_is_still_needed(env):
    items = env.admin.get("/v1/reports/due", params={"within_days": 366, "limit": 200}).json()["items"]
    assert any(u["requirement"].startswith("category:") for i in items for u in i["unmet"])
    for item in items:
        c = env.admin.get(f"/v1/certifications/{item['certification_id']}/compliance").json()
        expected = []
        if c["remaining_hours"] > 0:
            expected.append(("total", dec(c["required_hours"]), dec(c["earned_hours"]), dec(c["remaining_hours"])))
        expected += [
            (f"category:{r['category']}", dec(r["required_hours"]), dec(r["earned_hours"]), dec(r["remaining_hours"]))
            for r in c["categories"]
            if r["remaining_hours"] > 0
        ]
        got = [
            (u["requirement"], dec(u["required_hours"]), dec(u["earned_hours"]), dec(u["remaining_hours"]))
            for u in item["unmet"]
            if not u["requirement"].startswith(("modality:", "other:"))
        ]
        assert got == expected, item
        assert dec(item["remaining_hours"]) == dec(c["remaining_hours"])
        assert (item["cycle_start"], item["cycle_end"]) == (c["cycle_start"], c["cycle_end"])


def test_pages_follow_each_other_and_the_total_counts_them_all(env):
    whole = env.admin.get("/v1/reports/due", params={"within_days": 366, "limit": 200}).json()["items"]
    first = env.admin.get("/v1/reports/due", params={"within_days": 366, "limit": 2, "count": "true"}).json()
    assert first["total"] == len(whole) >= 3 and len(first["items"]) == 2 and first["next_cursor"]
    paged = pages(env.admin, "/v1/reports/due", within_days=366, limit=2)
    assert [i["certification_id"] for i in paged] == [i["certification_id"] for i in whole]
    assert "total" not in env.admin.get("/v1/reports/due").json()


def test_an_overdue_certification_is_due_by_its_grace_end(env):
    env.sweep(date(2026, 3, 5))  # NC-CPSS issued 2024-02-10: its cycle ended 2026-02-28, grace to 2026-03-30
    body = env.board("NC").get("/v1/reports/due", params={"within_days": 30}).json()
    nc_due = next(i for i in body["items"] if i["certification_id"] == env.world["nc_due"])
    assert (nc_due["status"], nc_due["cycle_end"], nc_due["deadline"]) == ("overdue", "2026-02-28", "2026-03-30")
    assert nc_due["days_left"] == 25 and body["as_of"] == "2026-03-05"


def test_csv_lists_every_unmet_requirement_of_every_certification_due(env):
    client = env.board("PA", "VA")
    items = client.get("/v1/reports/due", params={"within_days": 366, "limit": 200}).json()["items"]
    rows = csv_rows(client.get("/v1/reports/due", params={"within_days": 366, "format": "csv"}))
    expected = [
        (
            str(i["certification_id"]),
            i["number"],
            i["status"],
            i["deadline"],
            u["requirement"],
            dec(u["remaining_hours"]),
        )
        for i in items
        for u in i["unmet"]
    ]
    got = [
        (r["certification_id"], r["number"], r["status"], r["deadline"], r["requirement"], dec(r["remaining_hours"]))
        for r in rows
    ]
    assert got == expected and len({r["certification_id"] for r in rows}) == len(items)


def test_a_boards_filters_narrow_and_a_bad_cursor_is_a_problem(env):
    nc = env.board("NC")
    assert nc.get("/v1/reports/due", params={"state": "PA", "within_days": 366}).json()["items"] == []
    pa_only = env.admin.get("/v1/reports/due", params={"credential_code": "PA-CPS", "within_days": 366}).json()
    assert {i["credential_code"] for i in pa_only["items"]} == {"PA-CPS"}
    problem(nc.get("/v1/reports/due", params={"cursor": "bm90LWEtY3Vyc29y"}), 400)
    problem(nc.get("/v1/reports/due", params={"within_days": 400}), 422)


def _alone(env, certification_id: int) -> dict:
    """A due item as the engine gives it for this certification read and evaluated on its own."""
    with Session(bind=env.connection, join_transaction_mode="create_savepoint") as session:
        inputs = compliance.gather(session, [certification_id])[certification_id]
        result = compliance.evaluate(inputs, as_of=compliance.today_for(env.app.state.clock, inputs), explain=False)
        unmet = TypeAdapter(list[RequirementGap]).dump_python(due.requirements(result), mode="json")
    cert = env.admin.get(f"/v1/certifications/{certification_id}").json()
    deadline = cert["grace_ends_on"] if cert["status"] == "overdue" else cert["cycle_end"]
    return {
        "certification_id": certification_id,
        "person": {k: cert["person"][k] for k in ("id", "given_name", "family_name")},
        **{k: cert[k] for k in ("credential_code", "state", "number", "status", "cycle_start", "cycle_end")},
        "grace_ends_on": cert["grace_ends_on"],
        "deadline": deadline,
        "days_left": (date.fromisoformat(deadline) - TODAY).days,
        "remaining_hours": float(result.remaining_hours),
        "unmet": unmet,
    }


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        (None, {}),
        (("NC",), {}),
        (("PA", "VA", "CA"), {}),
        (None, {"credential_code": "CA-CMPSS"}),
        (None, {"state": "PA"}),
    ],
    ids=["admin", "board NC", "board PA, VA and CA", "one credential", "one state"],
)
def test_each_item_of_every_page_is_its_certification_evaluated_alone(env, who, filters):
    """A page reads its certifications and their holders' facts together: each item is what reading and
    evaluating that one certification alone gives, attestations (other requirements) included."""
    admin = env.admin
    for n, signed in enumerate((True, False)):
        person = admin.post(
            "/v1/people", json={"given_name": f"Cal{n}", "family_name": "Ifornia", "email": f"cal{n}@reports.example"}
        ).json()
        cert = admin.post(
            "/v1/certifications",
            json={
                "person_id": person["id"],
                "credential_code": "CA-CMPSS",
                "number": f"RPT-ca-{n}",
                "issued_on": "2024-03-01",
            },
        ).json()
        admin.post(
            "/v1/completions",
            json={"person_id": person["id"], "course_id": env.world["core"], "completed_on": "2025-04-01"},
        )
        if signed:
            recorded = admin.post(
                f"/v1/certifications/{cert['id']}/activities",
                json={"requirement_id": "code-of-ethics", "on": "2025-05-01"},
            )
            assert recorded.status_code == 201, recorded.text
    env.sweep(TODAY)
    client = env.admin if who is None else env.board(*who)
    items = pages(client, "/v1/reports/due", within_days=366, limit=2, **filters)
    assert items and [i["certification_id"] for i in items] == [
        i["certification_id"]
        for i in client.get("/v1/reports/due", params={"within_days": 366, "limit": 200, **filters}).json()["items"]
    ]
    for item in items:
        assert item == _alone(env, item["certification_id"])
    if who is None and not filters:
        assert {i["credential_code"] for i in items} >= {"CA-CMPSS", "NC-CPSS", "PA-CPS", "VA-RPRS"}
        assert any(u["requirement"] == "other:code-of-ethics" for i in items for u in i["unmet"])
