"""A world of two states, built through the API as an admin, for the scope walk.

Every object carries marker strings (names, emails, numbers, titles, reasons, URLs) that occur nowhere
else, each tagged with the roles that may see it, so a leak shows as a marker in any response body,
JSON or CSV. Building through the API (never the models) keeps the world valid while internals change.

    NC-only person   NC-CPSS cert             accepted completion of course A, pending self-report
    VA-only person   VA-RPRS cert             accepted completion of course B, pending self-report,
                                              an attestation and a (future) board action on the cert
    SHARED person    NC-CPSS + VA-RPRS certs  accepted completions of A (counts for both) and B,
                                              pending self-report of course A
    providers A, B   a published course each (approved for NC-CPSS and VA-RPRS) and a draft each
    webhooks         NC and VA, then a sweep (flags due_soon, webhook deliveries per state)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from app.clock import FixedClock

TODAY = date(2026, 1, 5)
CLOCK = FixedClock(datetime.combine(TODAY, time(17), tzinfo=UTC))  # the same day in every US zone

# Who may see a marker. "admin" sees everything; the walked roles are these three (anonymous sees nothing).
BOARD, PROVIDER, PEER = "board", "provider", "peer"
ROLES = ("anonymous", BOARD, PROVIDER, PEER)

# Markers: lower case, no character JSON or CSV would escape, none a substring of another.
M = {
    # people
    "nc_given": "ncqgivn",
    "nc_family": "ncqfamlee",
    "nc_email": "ncq.person@ncq-mark.example",
    "nc_ref": "ncqref0417",
    "va_given": "vaqgivn",
    "va_family": "vaqfamlee",
    "va_email": "vaq.person@vaq-mark.example",
    "va_ref": "vaqref0729",
    "sh_given": "shqgivn",
    "sh_family": "shqfamlee",
    "sh_email": "shq.person@shq-mark.example",
    "sh_ref": "shqref0311",
    # certificate numbers
    "nc_number": "ncq-cpss-4411",
    "va_number": "vaq-rprs-5522",
    "sh_nc_number": "shq-cpss-6633",
    "sh_va_number": "shq-rprs-7744",
    # catalog: drafts are seen by admins and their own provider only
    "a_draft": "aqdraftcourse",
    "b_draft": "bqdraftcourse",
    # topic proposals: seen by admins and the provider that made them
    "a_topic": "aqtopicproposal",
    "b_topic": "bqtopicproposal",
    # self-reports, activities, board actions, webhooks
    "nc_self": "ncq self-reported seminar",
    "va_self": "vaq self-reported seminar",
    "nc_note": "ncq attestation note",
    "va_note": "vaq attestation note",
    "va_action": "vaq suspension reason",
    "nc_hook": "https://93.184.216.34/ncq-hook",
    "va_hook": "https://93.184.216.34/vaq-hook",
}

# Which roles may see each marker (admins see all). The provider sees no person, no number: it identifies
# its learners itself and learns nothing more about them.
VISIBLE: dict[str, frozenset[str]] = {
    **{
        k: frozenset({BOARD, PEER})
        for k in ("nc_given", "nc_family", "nc_email", "nc_ref", "nc_number", "nc_self", "nc_note")
    },
    **{k: frozenset({BOARD}) for k in ("sh_given", "sh_family", "sh_email", "sh_ref", "sh_nc_number", "nc_hook")},
    **{
        k: frozenset()
        for k in (
            "va_given",
            "va_family",
            "va_email",
            "va_ref",
            "va_number",
            "sh_va_number",
            "b_draft",
            "va_self",
            "va_note",
            "va_action",
            "va_hook",
        )
    },
    "a_draft": frozenset({PROVIDER}),
    "a_topic": frozenset({PROVIDER}),
    "b_topic": frozenset(),
}
assert set(VISIBLE) == set(M)
# What public verification shows by design (name and number of any certification).
PUBLIC_KINDS = {
    "nc_given",
    "nc_family",
    "va_given",
    "va_family",
    "sh_given",
    "sh_family",
    "nc_number",
    "va_number",
    "sh_nc_number",
    "sh_va_number",
}


def foreign_markers(role: str, *, allow: set[str] = frozenset()) -> dict[str, str]:
    """The markers `role` must never see (minus `allow`)."""
    return {k: v for k, v in M.items() if role not in VISIBLE[k] and k not in allow}


def own_markers(role: str) -> dict[str, str]:
    return {k: v for k, v in M.items() if role in VISIBLE[k]}


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)  # rule sets as published, for PUT bodies

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]


def _ok(response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), (response.request.url, response.text)
    return response.json() if response.content else {}


def _attested(document: dict) -> dict:
    """A later version (from 2030) that declares an attestation, so activities can be recorded today."""
    doc = {**document, "effective_from": "2030-01-01"}
    doc["requirements"] = {
        **doc["requirements"],
        "other": [{"id": "code-of-ethics", "kind": "attestation", "description": "Attest to the code of ethics"}],
    }
    return doc


def build(client, tokens) -> World:
    """Build the world as an admin (and as the peers, for their self-reports)."""
    admin = client.as_(tokens.admin())
    w = World()
    ids = w.ids

    for code in ("NC-CPSS", "VA-RPRS"):
        current = _ok(admin.get(f"/v1/credentials/{code}"))["current"]["rules"]
        _ok(admin.put(f"/v1/credentials/{code}", json=_attested(current)))
        w.documents[code] = current

    topic = ids["topic"] = _ok(admin.get("/v1/topics"))["items"][0]["id"]
    for key, name in (("A", "Alder Walk Training Collaborative"), ("B", "Birch Walk Training Collaborative")):
        ids[f"provider_{key}"] = _ok(admin.post("/v1/providers", json={"name": name}))["id"]
        base = {"hours": 4, "modality": "live_virtual", "topics": [topic], "available_from": "2024-01-01"}
        ids[f"course_{key}"] = _ok(
            admin.post(
                f"/v1/providers/{ids[f'provider_{key}']}/courses",
                json={**base, "external_id": f"{key}-PUB", "title": f"Booster {key} published", "status": "published"},
            )
        )["id"]
        ids[f"draft_{key}"] = _ok(
            admin.post(
                f"/v1/providers/{ids[f'provider_{key}']}/courses",
                json={**base, "external_id": f"{key}-DRAFT", "title": M[f"{key.lower()}_draft"], "status": "draft"},
            )
        )["id"]
        for code, categories in (("NC-CPSS", []), ("VA-RPRS", ["ethics"])):
            ids[f"approval_{key}_{code[:2]}"] = _ok(
                admin.post(
                    f"/v1/courses/{ids[f'course_{key}']}/approvals",
                    json={
                        "credential_code": code,
                        "categories": categories,
                        "valid_from": "2024-01-01",
                        "valid_until": "2027-12-31",
                    },
                )
            )["id"]
    for key in ("A", "B"):
        provider = client.as_(tokens.provider(ids[f"provider_{key}"]))
        ids[f"topic_{key}"] = _ok(
            provider.post(
                "/v1/topics",
                json={
                    "id": f"walk-topic-{key.lower()}",
                    "name": M[f"{key.lower()}_topic"],
                    "description": "A topic proposed in the scope walk's world.",
                },
            ),
            202,
        )["id"]
    session = {
        "starts_at": "2026-02-10T13:00:00",
        "ends_at": "2026-02-10T15:00:00",
        "timezone": "America/New_York",
        "modality": "live_virtual",
        "registration_url": "https://example.org/walk-register",
    }
    for key, course in (("session_A", "course_A"), ("session_draftA", "draft_A"), ("session_draftB", "draft_B")):
        ids[key] = _ok(admin.post(f"/v1/courses/{ids[course]}/sessions", json=session), 201)["id"]
    ids["approval_draftB_VA"] = _ok(
        admin.post(f"/v1/courses/{ids['draft_B']}/approvals", json={"credential_code": "VA-RPRS", "categories": []})
    )["id"]
    # a course of A's that the shared person reports herself: accepted, it would count for VA too
    ids["course_C"] = _ok(
        admin.post(
            f"/v1/providers/{ids['provider_A']}/courses",
            json={
                "hours": 2,
                "modality": "self_paced",
                "topics": [topic],
                "available_from": "2024-01-01",
                "external_id": "A-SELF",
                "title": "Booster C published",
                "status": "published",
            },
        )
    )["id"]
    for code in ("NC-CPSS", "VA-RPRS"):
        _ok(admin.post(f"/v1/courses/{ids['course_C']}/approvals", json={"credential_code": code, "categories": []}))

    for p in ("nc", "va", "sh"):
        ids[f"person_{p}"] = _ok(
            admin.post(
                "/v1/people",
                json={
                    "given_name": M[f"{p}_given"],
                    "family_name": M[f"{p}_family"],
                    "email": M[f"{p}_email"],
                    "external_ref": M[f"{p}_ref"],
                },
            )
        )["id"]

    def certify(key: str, person: str, code: str, number: str, issued_on: str) -> None:
        ids[key] = _ok(
            admin.post(
                "/v1/certifications",
                json={"person_id": ids[person], "credential_code": code, "number": number, "issued_on": issued_on},
            )
        )["id"]

    certify("cert_nc", "person_nc", "NC-CPSS", M["nc_number"], "2024-02-10")
    certify("cert_va", "person_va", "VA-RPRS", M["va_number"], "2025-02-01")
    certify("cert_sh_nc", "person_sh", "NC-CPSS", M["sh_nc_number"], "2024-02-10")
    certify("cert_sh_va", "person_sh", "VA-RPRS", M["sh_va_number"], "2025-02-01")

    def complete(key: str, person: str, course: str, on: str) -> None:
        ids[key] = _ok(
            admin.post("/v1/completions", json={"person_id": ids[person], "course_id": ids[course], "completed_on": on})
        )["id"]

    complete("done_nc_A", "person_nc", "course_A", "2025-06-02")
    complete("done_va_B", "person_va", "course_B", "2025-06-03")
    complete("done_sh_A", "person_sh", "course_A", "2025-06-04")  # counts for NC-CPSS and VA-RPRS
    complete("done_sh_B", "person_sh", "course_B", "2025-06-05")

    def self_report(key: str, person: str, body: dict) -> None:
        peer = client.as_(tokens.peer(ids[person]))
        # as the status page's form sends it, with an evidence file (readable by the peer and their boards)
        form = {k: str(v) for k, v in body.items()}
        files = {"evidence": (f"{key}.pdf", b"%PDF-1.4\n" + key.encode() + b"\n%%EOF\n", "application/pdf")}
        ids[key] = _ok(peer.post("/v1/completions", data=form, files=files), 201)["id"]

    outside = {"provider_name": "A state peer conference", "hours": 1.5, "modality": "in_person"}
    self_report("pending_nc", "person_nc", {**outside, "title": M["nc_self"], "completed_on": "2025-09-01"})
    self_report("pending_va", "person_va", {**outside, "title": M["va_self"], "completed_on": "2025-09-02"})
    self_report("pending_sh", "person_sh", {"course_id": ids["course_C"], "completed_on": "2025-09-03"})

    for key, cert, note in (("activity_nc", "cert_nc", M["nc_note"]), ("activity_va", "cert_va", M["va_note"])):
        ids[key] = _ok(
            admin.post(
                f"/v1/certifications/{ids[cert]}/activities",
                json={"requirement_id": "code-of-ethics", "on": "2025-10-01", "note": note},
            )
        )["id"]
    ids["action_va"] = _ok(
        admin.post(
            f"/v1/certifications/{ids['cert_va']}/actions",
            json={"kind": "suspend", "effective_on": "2026-06-01", "reason": M["va_action"]},
        )
    )["id"]

    for state in ("NC", "VA"):
        ids[f"hook_{state}"] = _ok(
            admin.post("/v1/webhooks", json={"state": state, "url": M[f"{state.lower()}_hook"]})
        )["id"]
    ids["sweep"] = _ok(admin.post("/v1/sweeps", json={}), 201)["id"]
    deliveries = _ok(admin.get("/v1/webhooks/deliveries", params={"limit": 200}))["items"]
    for state in ("NC", "VA"):
        mine = [d for d in deliveries if d["state"] == state]
        assert mine, f"the sweep queued no {state} webhook delivery: {deliveries}"
        ids[f"delivery_{state}"] = mine[0]["id"]
    flags = _ok(admin.get("/v1/flags", params={"limit": 500}))["items"]
    flagged = {f["certification_id"] for f in flags}
    assert {ids["cert_nc"], ids["cert_va"], ids["cert_sh_nc"]} <= flagged, flags  # the shared VA one is met
    return w
