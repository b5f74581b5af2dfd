"""Bulk upload (CSV or JSON): a per-row report, all rows or none, idempotent, set-based at 10,000 rows."""

from __future__ import annotations

import json

import pytest

from tests.catalog.helpers import audit_entries, new_course, new_provider, problem

HEADER = "external_id,title,description,hours,modality,topics,url,status,available_from\r\n"
CATALOG = HEADER + (
    "HR-1,Harm reduction basics,Naloxone and safer use,2,in_person,harm-reduction,,,\r\n"
    'SP-2,"Suicide prevention, asking directly",,1.5,live_virtual,suicide-prevention;crisis-support,'
    "https://example.org/sp-2,,2024-01-15\r\n"
    "ETH-3,Ethics refresher,,3,self_paced,ethics-and-boundaries|law-and-ethics,,draft,\r\n"
)


@pytest.fixture
def provider(admin) -> dict:
    return new_provider(admin)


@pytest.fixture
def own(client, tokens, provider):
    return client.as_(tokens.provider(provider["id"]))


def _upload(client, provider_id, content, *, content_type="text/csv", dry_run=None):
    params = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    data = content if isinstance(content, bytes) else content.encode()
    return client.post(
        f"/v1/providers/{provider_id}/courses/import",
        params=params,
        content=data,
        headers={"Content-Type": content_type},
    )


def _courses(client, provider_id) -> dict[str, dict]:
    items = client.get(f"/v1/providers/{provider_id}/courses", params={"limit": 200}).json()["items"]
    return {c["external_id"]: c for c in items}


def test_csv_upload_creates_then_reports_unchanged_then_updates(own, provider):
    first = _upload(own, provider["id"], CATALOG)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["dry_run"], report["created"], report["updated"], report["unchanged"], report["errors"]) == (
        False,
        3,
        0,
        0,
        0,
    )
    assert [(r["row"], r["external_id"], r["outcome"]) for r in report["rows"]] == [
        (1, "HR-1", "created"),
        (2, "SP-2", "created"),
        (3, "ETH-3", "created"),
    ]
    courses = _courses(own, provider["id"])
    assert {r["course_id"] for r in report["rows"]} == {c["id"] for c in courses.values()}
    assert courses["SP-2"]["title"] == "Suicide prevention, asking directly"
    assert courses["SP-2"]["topics"] == ["crisis-support", "suicide-prevention"]
    assert courses["SP-2"]["available_from"] == "2024-01-15" and courses["SP-2"]["url"] == "https://example.org/sp-2"
    assert courses["ETH-3"]["topics"] == ["ethics-and-boundaries", "law-and-ethics"]
    assert courses["ETH-3"]["status"] == "draft" and courses["HR-1"]["status"] == "published"

    again = _upload(own, provider["id"], CATALOG).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)

    changed = _upload(
        own,
        provider["id"],
        CATALOG.replace("Naloxone and safer use", "Naloxone").replace(
            "suicide-prevention;crisis-support", "suicide-prevention"
        ),
    ).json()
    assert (changed["updated"], changed["unchanged"]) == (2, 1)
    rows = {r["external_id"]: r for r in changed["rows"]}
    assert rows["HR-1"]["changes"] == {"description": ["Naloxone and safer use", "Naloxone"]}
    assert rows["SP-2"]["changes"] == {"topics": [["crisis-support", "suicide-prevention"], ["suicide-prevention"]]}
    assert _courses(own, provider["id"])["SP-2"]["topics"] == ["suicide-prevention"]


def test_a_dry_run_reports_what_would_change_and_writes_nothing(own, provider):
    report = _upload(own, provider["id"], CATALOG, dry_run=True).json()
    assert report["dry_run"] and report["created"] == 3
    assert _courses(own, provider["id"]) == {}


def test_json_upload_takes_the_same_course_objects_as_the_single_upsert(own, provider):
    existing = new_course(own, provider["id"], external_id="J-1", hours=1)
    body = [
        {
            "external_id": "J-1",
            "title": existing["title"],
            "hours": 1.25,
            "modality": "live_virtual",
            "topics": ["trauma-informed-practice"],
        },
        {
            "external_id": "J-2",
            "title": "Whole health planning",
            "hours": 2,
            "modality": "in_person",
            "topics": ["whole-health-wellness"],
        },
    ]
    report = _upload(own, provider["id"], json.dumps(body), content_type="application/json").json()
    assert [(r["external_id"], r["outcome"]) for r in report["rows"]] == [("J-1", "updated"), ("J-2", "created")]
    assert report["rows"][0]["changes"] == {"hours": [1.0, 1.25]}


def test_one_bad_row_rejects_the_whole_upload_and_names_each_problem(own, provider):
    bad = CATALOG + (
        "BAD-4,Zero hours,,0,in_person,harm-reduction,,,\r\n"
        "BAD-5,Too precise,,1.234,teleport,astrology,,,\r\n"
        ",No id,,1,in_person,harm-reduction,,,\r\n"
    )
    response = _upload(own, provider["id"], bad)
    body = problem(response, 422)
    assert "3 of 6" in body["detail"]
    report = body["report"]
    assert (report["created"], report["errors"]) == (3, 3)
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[1]["outcome"] == "created"
    assert [e["field"] for e in rows[4]["errors"]] == ["hours"]
    assert {e["field"] for e in rows[5]["errors"]} == {"hours", "modality", "topics"}
    assert "astrology" in next(e["message"] for e in rows[5]["errors"] if e["field"] == "topics")
    assert [e["field"] for e in rows[6]["errors"]] == ["external_id"]
    assert {(e["loc"][1], e["loc"][2]) for e in body["errors"]} >= {(4, "hours"), (5, "modality"), (6, "external_id")}
    assert _courses(own, provider["id"]) == {}


def test_the_same_external_id_twice_in_one_file_is_an_error_on_both_rows(own, provider):
    duplicate = "HR-1,Harm reduction again,,1,in_person,harm-reduction,,,\r\n"
    body = problem(_upload(own, provider["id"], CATALOG + duplicate), 422)
    rows = {r["row"]: r for r in body["report"]["rows"]}
    assert rows[1]["outcome"] == rows[4]["outcome"] == "error"
    assert "row(s) 4" in rows[1]["errors"][0]["message"] and "row(s) 1" in rows[4]["errors"][0]["message"]


def test_a_published_course_cannot_be_uploaded_back_to_draft(own, provider):
    _upload(own, provider["id"], CATALOG)
    body = problem(_upload(own, provider["id"], CATALOG.replace("harm-reduction,,,", "harm-reduction,,draft,")), 422)
    [error] = body["errors"]
    assert error["loc"][1:] == [1, "status"]


def test_missing_and_unknown_csv_columns_are_named(own, provider):
    body = problem(_upload(own, provider["id"], "external_id,title,credits\r\nA,B,3\r\n"), 422)
    assert "missing column(s): hours, modality, topics" in body["detail"]
    assert "unknown column(s): credits" in body["detail"]


def test_optional_csv_columns_may_be_left_out(own, provider):
    report = _upload(
        own,
        provider["id"],
        "external_id,title,hours,modality,topics\r\nMIN-1,Minimal course,1,self_paced,documentation\r\n",
    ).json()
    assert report["created"] == 1


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"external_id,title\r\n", "text/plain", 415),
        (b"<courses/>", "application/xml", 415),
        (b"", "", 415),
        (b'[{"external_id": ', "application/json", 400),
        (b'{"external_id": "X"}', "application/json", 422),
        (b"[]", "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"\xff\xfe\x00bad", "text/csv", 422),
        (HEADER.encode(), "text/csv", 422),
    ],
)
def test_bad_files_are_clear_problems_and_write_nothing(own, provider, content, content_type, status):
    problem(_upload(own, provider["id"], content, content_type=content_type), status)
    assert _courses(own, provider["id"]) == {}


def test_provider_cannot_upload_into_another_providers_catalog(admin, client, tokens, provider):
    other = client.as_(tokens.provider(new_provider(admin)["id"]))
    problem(_upload(other, provider["id"], CATALOG), 403)
    problem(_upload(client.as_(tokens.board("NC")), provider["id"], CATALOG), 403)
    problem(_upload(client.as_(tokens.peer(1)), provider["id"], CATALOG), 403)
    problem(_upload(client, provider["id"], CATALOG), 401)
    assert _upload(admin, provider["id"], CATALOG).json()["created"] == 3


def test_an_upload_audits_every_course_and_the_upload_itself(admin, own, provider):
    report = _upload(own, provider["id"], CATALOG).json()
    for row in report["rows"]:
        [entry] = audit_entries(admin, "course", row["course_id"])
        assert entry["action"] == "create" and entry["changes"]["external_id"] == [None, row["external_id"]]
    [upload] = audit_entries(admin, "provider", provider["id"])[:1]
    assert upload["action"] == "import_courses" and upload["changes"]["created"] == 3


def test_ten_thousand_rows_upload_in_one_request(own, provider):
    topics = ["harm-reduction", "peer-support-core;recovery-oriented-practice", "supervision|documentation"]
    modalities = ["in_person", "live_virtual", "self_paced"]
    lines = [
        f"K{i:05d},Booster course {i},,{(i % 12 + 1) / 2},{modalities[i % 3]},{topics[i % 3]},,," for i in range(10_000)
    ]
    csv = "external_id,title,description,hours,modality,topics,url,status,available_from\n" + "\n".join(lines)
    report = _upload(own, provider["id"], csv)
    assert report.status_code == 200, report.text[:500]
    assert report.json()["created"] == 10_000
    again = _upload(own, provider["id"], csv.replace("Booster course 9999,", "Booster course 9999 (2nd ed.),"))
    assert (again.json()["updated"], again.json()["unchanged"]) == (1, 9_999)
    page = own.get(f"/v1/providers/{provider['id']}/courses", params={"limit": 2}).json()["items"]
    assert [c["external_id"] for c in page] == ["K00000", "K00001"]
    assert page[1]["topics"] == ["peer-support-core", "recovery-oriented-practice"] and page[1]["hours"] == 1.0
