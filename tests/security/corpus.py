"""The bad-input corpus (tests/security/test_bad_inputs.py) and the helpers of the input and token tests.

Each `Case` is one request to a write endpoint that must be refused: a 4xx problem+json naming what is
wrong, and not one row written. Paths and bodies may use the ids of the small world the tests build
(`{person}`, `{cert}`, `{provider}`, `{course}`, `{approval}`, `{completion}`); a body is a JSON value
(sent as JSON), text or bytes (sent as they are), or a function of the world returning either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table registered in the metadata)

PROBLEM = "application/problem+json"
CSV = "text/csv"
JSON = "application/json"
RANGE = "from 1950-01-01 to 2100-12-31"
NUL = "NUL characters are not allowed"
TOO_DEEP = "nested too deeply"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status; its body."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == PROBLEM, response.headers["content-type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://peer-ce.org/problems/")
    return body


def said(body: dict[str, Any]) -> str:
    """Everything a problem tells its reader: detail, each error's field and message, the report's rows."""
    parts = [body.get("detail") or ""]
    parts += [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or ()]
    report = body.get("report") or {}
    for row in report.get("items") or report.get("rows") or ():
        parts += [str(e) for e in row.get("errors") or ()]
    return "\n".join(parts)


def row_counts(db: Any) -> dict[str, int]:
    """Rows in every table, as the test's session sees them (the app writes in the same transaction)."""
    db.expire_all()
    return {
        t.name: db.execute(select(func.count()).select_from(t)).scalar_one() for t in SQLModel.metadata.sorted_tables
    }


Body = Any  # a JSON value, str or bytes, or Callable[[dict], one of those]


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    body: Body = None
    content_type: str = JSON
    status: int = 422
    expect: tuple[str, ...] = ()  # each appears in what the problem says (case-insensitive)
    line: int | None = None  # a CSV problem names this line in `errors[].line`

    def request(self, client: Any, world: dict[str, Any]) -> Any:
        body = self.body(world) if callable(self.body) else self.body
        kwargs: dict[str, Any] = {}
        if body is not None:
            raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
            kwargs = {
                "content": raw.encode() if isinstance(raw, str) else raw,
                "headers": {"Content-Type": self.content_type},
            }
        return client.request(self.method, self.path.format(**world), **kwargs)


# --- valid bodies, to spoil one field at a time -------------------------------------------------------


def person(w: dict) -> dict:
    return {"given_name": "Jordan", "family_name": "Bad", "email": "bad.input@example.org"}


def certification(w: dict) -> dict:
    return {"person_id": w["person"], "credential_code": "NC-CPSS", "number": "NC-BAD-0001", "issued_on": "2025-01-01"}


def completion(w: dict) -> dict:
    return {"person_id": w["person"], "course_id": w["course"], "completed_on": "2025-06-10"}


def course(w: dict) -> dict:
    return {
        "external_id": "BAD-1",
        "title": "Bad input course",
        "hours": 2,
        "modality": "live_virtual",
        "topics": ["trauma-informed-practice"],
    }


def approval(w: dict) -> dict:
    return {"credential_code": "NC-CPSS", "categories": []}


def withdrawal(w: dict) -> dict:
    return {"withdrawn_on": "2026-01-01", "reason": "bad input"}


def action(w: dict) -> dict:
    return {"kind": "suspend", "effective_on": "2025-06-01", "reason": "bad input"}


def activity(w: dict) -> dict:
    return {"requirement_id": "code-of-ethics", "on": "2025-06-01"}


def simulation(w: dict) -> dict:
    return {"as_of": "2025-06-01", "completions": [{"hours": 3, "completed_on": "2025-06-01"}]}


def rules(w: dict) -> dict:
    return json.loads(json.dumps(w["rules"]))  # a copy of NC-CPSS's current rule set


def spoil(make: Callable[[dict], Any], *path: str | int, value: Any) -> Callable[[dict], Any]:
    """The body `make` builds with the value at `path` replaced."""

    def build(w: dict) -> Any:
        body = make(w)
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return body

    return build


def rows(make: Callable[[dict], Any], **changes: Any) -> Callable[[dict], list]:
    """A one-row JSON roster or course upload with these changes."""
    return lambda w: [{**make(w), **changes}]


def nested(depth: int, inner: str = "1") -> str:
    """JSON arrays nested `depth` levels deep."""
    return "[" * depth + inner + "]" * depth


# --- CSV ----------------------------------------------------------------------------------------------

IMPORTS = {  # path, header, a good row
    "certifications": (
        "/v1/certifications/import",
        "given_name,family_name,email,credential_code,number,issued_on",
        lambda w: "Jordan,Bad,bad.csv@example.org,NC-CPSS,NC-BAD-0002,2025-01-01",
    ),
    "roster": (
        "/v1/completions/import",
        "person_id,course_id,completed_on",
        lambda w: f"{w['person']},{w['course']},2025-06-10",
    ),
    "courses": (
        "/v1/providers/{provider}/courses/import",
        "external_id,title,hours,modality,topics",
        lambda w: "BAD-2,Bad input course,2,live_virtual,trauma-informed-practice",
    ),
}


def csv(kind: str, *lines: str | Callable[[dict], str], header: str | None = None) -> Callable[[dict], bytes]:
    """A CSV upload for `kind`: the header, then these lines ("good" for the good row)."""
    _, default_header, good = IMPORTS[kind]

    def build(w: dict) -> bytes:
        out = [header if header is not None else default_header]
        for line in lines:
            out.append(good(w) if line == "good" else line(w) if callable(line) else line)
        return ("\r\n".join(out) + "\r\n").encode()

    return build


def _csv_cases() -> list[Case]:
    cases = []
    for kind, (path, header, good) in IMPORTS.items():
        first = header.split(",")[0]

        def with_cell(value: str, good=good) -> Callable[[dict], str]:
            return lambda w: value + good(w)[good(w).index(",") :]

        cases += [
            Case(
                f"{kind}-csv-not-utf8",
                "POST",
                path,
                content_type=CSV,
                line=3,
                expect=("UTF-8",),
                body=lambda w, good=good, header=header: (
                    f"{header}\r\n{good(w)}\r\n".encode() + b"\xff" + good(w).encode() + b"\r\n"
                ),
            ),
            Case(
                f"{kind}-csv-nul-byte",
                "POST",
                path,
                content_type=CSV,
                line=2,
                expect=(NUL,),
                body=csv(kind, with_cell("\x00")),
            ),
            Case(
                f"{kind}-csv-cell-of-131073-characters",
                "POST",
                path,
                content_type=CSV,
                line=2,
                expect=("longer than 10000",),
                body=csv(kind, with_cell("x" * 131_073)),
            ),
            Case(
                f"{kind}-csv-cell-of-10001-characters",
                "POST",
                path,
                content_type=CSV,
                line=2,
                expect=("longer than 10000",),
                body=csv(kind, with_cell("x" * 10_001)),
            ),
            Case(
                f"{kind}-csv-duplicate-header",
                "POST",
                path,
                content_type=CSV,
                line=1,
                expect=(first,),
                body=csv(kind, "good", header=f"{header},{first}"),
            ),
            Case(
                f"{kind}-csv-extra-cell",
                "POST",
                path,
                content_type=CSV,
                line=3,
                expect=("cell",),
                body=csv(kind, "good", lambda w, good=good: good(w) + ",extra"),
            ),
            Case(
                f"{kind}-csv-missing-cell",
                "POST",
                path,
                content_type=CSV,
                line=2,
                expect=("cell",),
                body=csv(kind, lambda w, good=good: good(w).rsplit(",", 1)[0]),
            ),
            Case(
                f"{kind}-csv-broken-quotes",
                "POST",
                path,
                content_type=CSV,
                line=2,
                expect=("CSV",),
                body=csv(kind, with_cell('"Jo"rdan')),
            ),
            Case(
                f"{kind}-csv-unknown-column",
                "POST",
                path,
                content_type=CSV,
                expect=("unknown column",),
                body=csv(kind, lambda w, good=good: good(w) + ",1", header=f"{header},surprise"),
            ),
        ]
    return cases


# --- the corpus ---------------------------------------------------------------------------------------

ROSTER = "/v1/completions/import"
UPLOAD = "/v1/providers/{provider}/courses/import"

TYPES = [  # JSON values of the wrong type: refused, never converted
    Case("roster-json-person-id-2.9", "POST", ROSTER, rows(completion, person_id=2.9), expect=("person_id",)),
    Case("roster-json-person-id-1.0", "POST", ROSTER, rows(completion, person_id=1.0), expect=("person_id",)),
    Case(
        "roster-json-person-id-string",
        "POST",
        ROSTER,
        lambda w: [{**completion(w), "person_id": str(w["person"])}],
        expect=("person_id",),
    ),
    Case("roster-json-person-id-true", "POST", ROSTER, rows(completion, person_id=True), expect=("person_id",)),
    Case(
        "roster-json-course-id-string",
        "POST",
        ROSTER,
        lambda w: [{**completion(w), "course_id": str(w["course"])}],
        expect=("course_id",),
    ),
    Case("roster-json-hours-string", "POST", ROSTER, rows(completion, hours="1.5"), expect=("hours",)),
    Case(
        "roster-json-completed-on-number",
        "POST",
        ROSTER,
        rows(completion, completed_on=20250610),
        expect=("completed_on",),
    ),
    Case("roster-json-unknown-field", "POST", ROSTER, rows(completion, hours_attended=1), expect=("hours_attended",)),
    Case(
        "completion-person-id-string",
        "POST",
        "/v1/completions",
        lambda w: {**completion(w), "person_id": str(w["person"])},
        expect=("body.person_id",),
    ),
    Case(
        "completion-person-id-2.9",
        "POST",
        "/v1/completions",
        spoil(completion, "person_id", value=2.9),
        expect=("body.person_id",),
    ),
    Case(
        "completion-person-id-true",
        "POST",
        "/v1/completions",
        spoil(completion, "person_id", value=True),
        expect=("body.person_id",),
    ),
    Case(
        "completion-course-id-1.0",
        "POST",
        "/v1/completions",
        lambda w: {**completion(w), "course_id": 1.0},
        expect=("body.course_id",),
    ),
    Case(
        "completion-hours-string",
        "POST",
        "/v1/completions",
        spoil(completion, "hours", value="1.5"),
        expect=("body.hours",),
    ),
    Case(
        "completion-hours-true",
        "POST",
        "/v1/completions",
        spoil(completion, "hours", value=True),
        expect=("body.hours",),
    ),
    Case(
        "person-given-name-number",
        "POST",
        "/v1/people",
        spoil(person, "given_name", value=5),
        expect=("body.given_name",),
    ),
    Case(
        "person-birth-month-7.0",
        "PATCH",
        "/v1/people/{person}",
        {"birth_month": 7.0, "birth_day": 14},
        expect=("body.birth_month",),
    ),
    Case(
        "person-birth-day-string",
        "PATCH",
        "/v1/people/{person}",
        {"birth_month": 7, "birth_day": "14"},
        expect=("body.birth_day",),
    ),
    Case(
        "certification-person-id-string",
        "POST",
        "/v1/certifications",
        lambda w: {**certification(w), "person_id": str(w["person"])},
        expect=("body.person_id",),
    ),
    Case(
        "certification-number-number",
        "POST",
        "/v1/certifications",
        spoil(certification, "number", value=117),
        expect=("body.number",),
    ),
    Case(
        "action-kind-number",
        "POST",
        "/v1/certifications/{cert}/actions",
        spoil(action, "kind", value=1),
        expect=("body.kind",),
    ),
    Case("sweep-full-string", "POST", "/v1/sweeps", {"full": "true"}, expect=("body.full",)),
    Case("sweep-full-1", "POST", "/v1/sweeps", {"full": 1}, expect=("body.full",)),
    Case(
        "webhook-state-number",
        "POST",
        "/v1/webhooks",
        {"state": 12, "url": "https://board.example.gov/hook"},
        expect=("body.state",),
    ),
    Case(
        "provider-name-number",
        "POST",
        "/v1/providers",
        {"name": 20250610, "kind": "training_center"},
        expect=("body.name",),
    ),
    Case(
        "provider-contact-email-list",
        "POST",
        "/v1/providers",
        {"name": "Center", "contact_email": ["a@b.org"]},
        expect=("body.contact_email",),
    ),
    Case(
        "course-hours-string",
        "POST",
        "/v1/providers/{provider}/courses",
        spoil(course, "hours", value="2"),
        expect=("body.hours",),
    ),
    Case(
        "course-topics-string",
        "POST",
        "/v1/providers/{provider}/courses",
        spoil(course, "topics", value="trauma-informed-practice"),
        expect=("body.topics",),
    ),
    Case(
        "course-url-number",
        "POST",
        "/v1/providers/{provider}/courses",
        spoil(course, "url", value=5),
        expect=("body.url",),
    ),
    Case("course-upload-json-hours-string", "POST", UPLOAD, rows(course, hours="2"), expect=("hours",)),
    Case(
        "topic-id-number",
        "POST",
        "/v1/topics",
        {"id": 12, "name": "Twelve", "description": "A topic named 12."},
        expect=("body.id",),
    ),
    Case(
        "topic-name-nul",
        "POST",
        "/v1/topics",
        {"id": "nul-topic", "name": "N\u0000L", "description": "A topic with a NUL in its name."},
        expect=(NUL,),
    ),
    Case(
        "topic-review-decision-bool", "POST", "/v1/topics/{topic}/review", {"decision": True}, expect=("body.decision",)
    ),
    Case(
        "topic-review-unproposed",
        "POST",
        "/v1/topics/{topic}/review",
        {"decision": "accept"},
        status=404,
        expect=("was proposed",),
    ),
    Case(
        "session-times-numbers",
        "POST",
        "/v1/courses/{course}/sessions",
        {"starts_at": 1767268800, "ends_at": 1767276000, "timezone": "America/New_York", "modality": "live_virtual"},
        expect=("body.starts_at", "body.ends_at"),
    ),
    Case(
        "session-zone-not-iana",
        "POST",
        "/v1/courses/{course}/sessions",
        {
            "starts_at": "2027-01-12T13:00:00",
            "ends_at": "2027-01-12T15:00:00",
            "timezone": "EST5EDT-ish",
            "modality": "live_virtual",
        },
        expect=("body.timezone",),
    ),
    Case(
        "session-year-10000",
        "POST",
        "/v1/courses/{course}/sessions",
        {
            "starts_at": "9999-12-31T23:00:00",
            "ends_at": "9999-12-31T23:59:00",
            "timezone": "UTC",
            "modality": "live_virtual",
        },
        expect=("body.starts_at",),
    ),
    Case("session-capacity-string", "PATCH", "/v1/sessions/{session}", {"capacity": "30"}, expect=("body.capacity",)),
    Case(
        "session-join-url-javascript",
        "PATCH",
        "/v1/sessions/{session}",
        {"join_url": "javascript:alert(1)"},
        expect=("body.join_url",),
    ),
    Case(
        "session-ends-before-it-starts",
        "PATCH",
        "/v1/sessions/{session}",
        {"ends_at": "2026-02-10T12:00:00"},
        expect=("body.ends_at",),
    ),
    Case(
        "approval-hours-string",
        "POST",
        "/v1/courses/{course}/approvals",
        spoil(approval, "hours", value="1"),
        expect=("body.hours",),
    ),
    Case(
        "approval-categories-string",
        "POST",
        "/v1/courses/{course}/approvals",
        spoil(approval, "categories", value="ethics"),
        expect=("body.categories",),
    ),
    Case("void-reason-number", "POST", "/v1/completions/{completion}/void", {"reason": 12345}, expect=("body.reason",)),
    Case(
        "correct-hours-string",
        "POST",
        "/v1/completions/{completion}/correct",
        {"reason": "Two hours", "hours": "2"},
        expect=("body.hours",),
    ),
    Case(
        "correct-date-out-of-range",
        "POST",
        "/v1/completions/{completion}/correct",
        {"reason": "Wrong date", "completed_on": "9999-01-01"},
        expect=("body.completed_on",),
    ),
    Case(
        "review-decision-bool",
        "POST",
        "/v1/completions/{completion}/review",
        {"decision": True, "reason": "checked"},
        expect=("body.decision",),
    ),
    Case(
        "simulation-hours-string",
        "POST",
        "/v1/certifications/{cert}/compliance/simulate",
        spoil(simulation, "completions", 0, "hours", value="3"),
        expect=("hours",),
    ),
    Case(
        "credential-months-string",
        "PUT",
        "/v1/credentials/NC-CPSS",
        spoil(rules, "cycle", "months", value="24"),
        expect=("body.cycle.months",),
    ),
    Case(
        "credential-total-hours-string",
        "PUT",
        "/v1/credentials/NC-CPSS",
        spoil(rules, "requirements", "total_hours", value="20"),
        expect=("body.requirements.total_hours",),
    ),
    Case(
        "credential-approved-only-0",
        "PUT",
        "/v1/credentials/NC-CPSS",
        spoil(rules, "approved_only", value=0),
        expect=("body.approved_only",),
    ),
]

JSON_TEXT = [  # JSON that is not JSON, or nested past the limit (400)
    Case("roster-100000-nested-brackets", "POST", ROSTER, "[" * 100_000, status=400, expect=(TOO_DEEP,)),
    Case("roster-33-levels", "POST", ROSTER, nested(33), status=400, expect=(TOO_DEEP,)),
    Case(
        "roster-deep-inside-a-row",
        "POST",
        ROSTER,
        lambda w: json.dumps([{**completion(w), "hours": json.loads(nested(40))}]),
        status=400,
        expect=(TOO_DEEP,),
    ),
    Case("person-100000-nested-brackets", "POST", "/v1/people", "[" * 100_000, status=400, expect=(TOO_DEEP,)),
    Case(
        "person-field-33-levels",
        "POST",
        "/v1/people",
        '{"given_name": ' + nested(32) + "}",
        status=400,
        expect=(TOO_DEEP,),
    ),
    Case("course-upload-100000-nested-objects", "POST", UPLOAD, '{"a":' * 100_000, status=400, expect=(TOO_DEEP,)),
    Case("credential-deep", "PUT", "/v1/credentials/NC-CPSS", nested(50), status=400, expect=(TOO_DEEP,)),
    Case("roster-malformed-json", "POST", ROSTER, '[{"person_id": 1,', status=400, expect=("not valid JSON",)),
    Case(
        "roster-nan",
        "POST",
        ROSTER,
        lambda w: json.dumps([{**completion(w), "hours": float("nan")}]),
        status=400,
        expect=("not valid JSON",),
    ),
    Case("person-infinity", "POST", "/v1/people", '{"given_name": Infinity}', status=400, expect=("not valid JSON",)),
    Case("roster-json-not-utf8", "POST", ROSTER, b'[{"certificate_number": "\xff"}]', status=400, expect=("UTF-8",)),
    Case("person-json-not-utf8", "POST", "/v1/people", b'{"given_name": "\xe9"}', status=400, expect=("UTF-8",)),
    Case(
        "roster-integer-of-5000-digits",
        "POST",
        ROSTER,
        '[{"person_id": ' + "9" * 5000 + "}]",
        status=400,
        expect=("not valid JSON",),
    ),
]

NULS = [  # NUL characters and unpaired surrogates, refused the same way on both databases
    Case(
        "person-name-nul",
        "POST",
        "/v1/people",
        spoil(person, "given_name", value="Jor\x00dan"),
        expect=(NUL, "body.given_name"),
    ),
    Case("person-key-nul", "POST", "/v1/people", lambda w: {**person(w), "x\x00": 1}, expect=(NUL,)),
    Case(
        "certification-number-nul",
        "POST",
        "/v1/certifications",
        spoil(certification, "number", value="NC\x00"),
        expect=(NUL, "body.number"),
    ),
    Case(
        "completion-evidence-nul",
        "POST",
        "/v1/completions",
        lambda w: {
            "person_id": w["person"],
            "title": "Outside course",
            "provider_name": "Someone",
            "hours": 1,
            "modality": "in_person",
            "completed_on": "2025-06-10",
            "evidence_url": "https://x.org/\x00",
        },
        expect=(NUL,),
    ),
    Case(
        "roster-json-nul",
        "POST",
        ROSTER,
        lambda w: [
            {
                "credential_code": "NC-CPSS",
                "certificate_number": "NC\x00",
                "course_id": w["course"],
                "completed_on": "2025-06-10",
            }
        ],
        expect=(NUL, "certificate_number"),
    ),
    Case("course-upload-json-nul", "POST", UPLOAD, rows(course, title="Bad\x00course"), expect=(NUL,)),
    Case(
        "webhook-url-nul",
        "POST",
        "/v1/webhooks",
        {"state": "NC", "url": "https://board.example.gov/\x00"},
        expect=(NUL,),
    ),
    Case("query-nul", "POST", ROSTER + "?dry_run=false%00", rows(completion), expect=(NUL, "query")),
    Case("path-nul", "PATCH", "/v1/people/{person}%00", {"given_name": "Jo"}, expect=(NUL, "path")),
    Case(
        "person-name-lone-surrogate",
        "POST",
        "/v1/people",
        '{"given_name": "Jo\\ud800", "family_name": "Bad", "email": "bad.input@example.org"}',
        expect=("surrogate", "body.given_name"),
    ),
]

DATES = [  # dates outside 1950-01-01..2100-12-31, or not dates at all: 422 naming the field
    Case(
        "certification-issued-on-9998-06-01",
        "POST",
        "/v1/certifications",
        spoil(certification, "issued_on", value="9998-06-01"),
        expect=(RANGE, "body.issued_on"),
    ),
    Case(
        "certification-issued-on-1949-12-31",
        "POST",
        "/v1/certifications",
        spoil(certification, "issued_on", value="1949-12-31"),
        expect=(RANGE, "body.issued_on"),
    ),
    Case(
        "certification-issued-on-2024-02-30",
        "POST",
        "/v1/certifications",
        spoil(certification, "issued_on", value="2024-02-30"),
        expect=("calendar date", "body.issued_on"),
    ),
    Case(
        "certification-issued-on-a-timestamp",
        "POST",
        "/v1/certifications",
        spoil(certification, "issued_on", value="2024-01-01T00:00:00"),
        expect=("YYYY-MM-DD", "body.issued_on"),
    ),
    Case(
        "certification-issued-on-a-number",
        "POST",
        "/v1/certifications",
        spoil(certification, "issued_on", value=20240101),
        expect=("YYYY-MM-DD", "body.issued_on"),
    ),
    Case(
        "certification-patch-issued-on-9999-12-31",
        "PATCH",
        "/v1/certifications/{cert}",
        {"issued_on": "9999-12-31"},
        expect=(RANGE, "body.issued_on"),
    ),
    Case(
        "certifications-csv-issued-on-9998-06-01",
        "POST",
        "/v1/certifications/import",
        content_type=CSV,
        body=csv("certifications", "Jordan,Bad,bad.csv@example.org,NC-CPSS,NC-BAD-0003,9998-06-01"),
        expect=(RANGE, "issued_on"),
    ),
    Case("sweep-as-of-9999-12-31", "POST", "/v1/sweeps", {"as_of": "9999-12-31"}, expect=(RANGE, "body.as_of")),
    Case(
        "completion-completed-on-9999-12-31",
        "POST",
        "/v1/completions",
        spoil(completion, "completed_on", value="9999-12-31"),
        expect=(RANGE, "body.completed_on"),
    ),
    Case(
        "roster-json-completed-on-9998-06-01",
        "POST",
        ROSTER,
        rows(completion, completed_on="9998-06-01"),
        expect=(RANGE, "completed_on"),
    ),
    Case(
        "roster-csv-completed-on-0001-01-01",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv("roster", lambda w: f"{w['person']},{w['course']},0001-01-01"),
        expect=(RANGE, "completed_on"),
    ),
    Case(
        "action-effective-on-2101-01-01",
        "POST",
        "/v1/certifications/{cert}/actions",
        spoil(action, "effective_on", value="2101-01-01"),
        expect=(RANGE, "body.effective_on"),
    ),
    Case(
        "activity-on-1900-01-01",
        "POST",
        "/v1/certifications/{cert}/activities",
        spoil(activity, "on", value="1900-01-01"),
        expect=(RANGE, "body.on"),
    ),
    Case(
        "approval-valid-from-1900-01-01",
        "POST",
        "/v1/courses/{course}/approvals",
        spoil(approval, "valid_from", value="1900-01-01"),
        expect=(RANGE, "body.valid_from"),
    ),
    Case(
        "approval-valid-until-9999-12-31",
        "POST",
        "/v1/courses/{course}/approvals",
        spoil(approval, "valid_until", value="9999-12-31"),
        expect=(RANGE, "body.valid_until"),
    ),
    Case(
        "withdrawal-withdrawn-on-9999-12-31",
        "POST",
        "/v1/courses/{course}/approvals/{approval}/withdraw",
        spoil(withdrawal, "withdrawn_on", value="9999-12-31"),
        expect=(RANGE, "body.withdrawn_on"),
    ),
    Case(
        "course-available-from-9999-12-31",
        "POST",
        "/v1/providers/{provider}/courses",
        spoil(course, "available_from", value="9999-12-31"),
        expect=(RANGE, "body.available_from"),
    ),
    Case(
        "course-csv-available-from-9999-12-31",
        "POST",
        UPLOAD,
        content_type=CSV,
        body=csv(
            "courses",
            "BAD-3,Bad input course,2,live_virtual,trauma-informed-practice,9999-12-31",
            header="external_id,title,hours,modality,topics,available_from",
        ),
        expect=(RANGE, "available_from"),
    ),
    Case(
        "credential-effective-from-9999-01-01",
        "PUT",
        "/v1/credentials/NC-CPSS",
        spoil(rules, "effective_from", value="9999-01-01"),
        expect=(RANGE, "body.effective_from"),
    ),
    Case(
        "simulation-as-of-9999-12-31",
        "POST",
        "/v1/certifications/{cert}/compliance/simulate",
        spoil(simulation, "as_of", value="9999-12-31"),
        expect=(RANGE, "body.as_of"),
    ),
    Case(
        "simulation-completed-on-9999-12-31",
        "POST",
        "/v1/certifications/{cert}/compliance/simulate",
        spoil(simulation, "completions", 0, "completed_on", value="9999-12-31"),
        expect=(RANGE, "completed_on"),
    ),
]

CSV_CELLS = [  # CSV cells are text: numbers and dates are read exactly as written, never coerced
    Case(
        "roster-csv-course-id-2.9",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv("roster", lambda w: f"{w['person']},2.9,2025-06-10"),
        expect=("course_id",),
    ),
    Case(
        "roster-csv-person-id-1e3",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv("roster", lambda w: f"1e3,{w['course']},2025-06-10"),
        expect=("person_id",),
    ),
    Case(
        "roster-csv-hours-1e3",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv(
            "roster",
            lambda w: f"{w['person']},{w['course']},2025-06-10,1e3",
            header="person_id,course_id,completed_on,hours",
        ),
        expect=("hours",),
    ),
    Case(
        "roster-csv-hours-negative",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv(
            "roster",
            lambda w: f"{w['person']},{w['course']},2025-06-10,-1",
            header="person_id,course_id,completed_on,hours",
        ),
        expect=("hours",),
    ),
    Case(
        "roster-csv-date-without-zeros",
        "POST",
        ROSTER,
        content_type=CSV,
        body=csv("roster", lambda w: f"{w['person']},{w['course']},2025-6-1"),
        expect=("completed_on",),
    ),
    Case(
        "courses-csv-hours-1e3",
        "POST",
        UPLOAD,
        content_type=CSV,
        body=csv("courses", "BAD-4,Bad input course,1e3,live_virtual,trauma-informed-practice"),
        expect=("hours",),
    ),
    Case(
        "courses-csv-hours-nan",
        "POST",
        UPLOAD,
        content_type=CSV,
        body=csv("courses", "BAD-5,Bad input course,NaN,live_virtual,trauma-informed-practice"),
        expect=("hours",),
    ),
]

CORPUS = TYPES + JSON_TEXT + NULS + DATES + CSV_CELLS + _csv_cases()
