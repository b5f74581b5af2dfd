"""The tables of the scope walk: every operation of the OpenAPI document, classified.

Each operationId is either PUBLIC (with the reason it may answer anyone) or in OPS, which says for each
walked role what a call against an object outside that role's scope must answer. FOREIGN gives, per role,
an out-of-scope object for every path parameter (and for the ids bodies refer to); OWN gives in-scope
objects for the positive controls; BODIES gives a valid request per operation, so that only scope can
refuse it (the walk proves this by sending the same request as an admin, who has every scope).
test_scope_walk.py fails when the document has an operation, or a path parameter, that these tables do
not classify.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import BOARD, PEER, PROVIDER, M, World

ANON = "anonymous"
LIST = "list"  # 200, and nothing in it is foreign
OWN = "own"  # the role acts on no other scope's object here (it creates a new one): see POSITIVE
FN = frozenset({403, 404})  # an operation the role may never perform, on an object it cannot see


@dataclass(frozen=True)
class Lit:
    """A literal path value (not a world id)."""

    value: Any


@dataclass(frozen=True)
class Op:
    expect: dict[str, Any]  # role -> status | frozenset of statuses | LIST | OWN
    variants: tuple[Callable[[dict], dict], ...] = (lambda t: {},)  # query parameters, from the targets
    why: str = ""


def _protected(board, provider, peer, **kw) -> Op:
    return Op(expect={ANON: 401, BOARD: board, PROVIDER: provider, PEER: peer}, **kw)


def _q(**params) -> Callable[[dict], dict]:
    return lambda t: {k: (v(t) if callable(v) else v) for k, v in params.items()}


PUBLIC = {
    "getHealth": "liveness probe: no data",
    "getReadiness": "readiness probe: no data",
    "getCertificateKeys": "the public keys that verify certificates offline",
    "getIssuerDidDocument": "the certificate issuer's DID document: its public keys, nothing of anyone's records",
    "getIssuerJwks": "the certificate issuer's public keys, as a JWKS",
    "getCertificateStatusList": "revocation bits of certificates (a status list): no ids, nothing personal",
    "verifyCertificate": "checks a certificate its holder presents: answers about that document only",
    "checkCertificate": "what a printed certificate's QR code opens: valid or withdrawn, by its unguessable "
    "uuid, nothing about the learner",
    "getCertificateQrCode": "the QR code of that public check's address",
    "searchCourses": "the public catalog of published courses",
    "listCredentials": "state CE rules are public data",
    "getCredential": "state CE rules are public data",
    "getCredentialVersion": "state CE rules are public data",
    "listProviders": "course providers are public",
    "getProvider": "course providers are public",
    "listTopics": "the topic taxonomy",
    "verifyCertification": "employers verify a number: name, credential, status and cycle end, by design",
    "listSessions": "the public catalog's sessions (of published courses only)",
    "getProviderSessionsCalendar": "a provider's published courses' sessions as an iCalendar feed",
}

CERT_READ = _protected(404, FN, 404)
CERT_WRITE = _protected(404, FN, FN)
OPS: dict[str, Op] = {
    # certifications
    "listCertifications": _protected(
        LIST,
        403,
        LIST,
        variants=(
            _q(),
            _q(state="VA"),
            _q(credential_code="VA-RPRS"),
            _q(person_id=lambda t: t["person_id"]),
            _q(q=lambda t: t["family_name"]),
            _q(q=lambda t: t["email"]),
            _q(limit=200),
            _q(count="true"),
        ),
    ),
    "createCertification": _protected(
        422, 403, FN, why="a person outside the board's scope is answered exactly like a person that does not exist"
    ),
    "exportCertifications": _protected(LIST, 403, LIST, variants=(_q(), _q(state="VA"), _q(credential_code="VA-RPRS"))),
    "importCertifications": _protected(
        403, 403, 403, why="a row naming a person certified outside the board's states changes nobody"
    ),
    "getCertification": CERT_READ,
    "updateCertification": CERT_WRITE,
    "createBoardAction": CERT_WRITE,
    "listActivities": CERT_READ,
    "createActivity": CERT_READ,  # the holder may attest: out of scope is 404 for a peer too
    "getCompliance": CERT_READ,
    "simulateCompliance": CERT_READ,
    "getCertificationHistory": CERT_READ,
    "listMyCertifications": _protected(403, 403, LIST),
    # people
    "createPerson": _protected(OWN, 403, 403),
    "getPerson": _protected(404, 404, 404),
    "updatePerson": _protected(404, FN, FN),
    "getTranscript": _protected(404, 404, 404, variants=(_q(), _q(format="csv"))),
    # completions
    "listCompletions": _protected(
        LIST,
        LIST,
        LIST,
        variants=(
            _q(),
            _q(person_id=lambda t: t["person_id"]),
            _q(status="pending"),
            _q(status="accepted"),
            _q(count="true"),
        ),
    ),
    "createCompletion": _protected(
        frozenset({404, 422}), 422, FN, why="providers: a learner they never reported is a uniform 422"
    ),
    "importCompletions": _protected(422, 422, 403),
    "getCompletion": _protected(404, 404, 404),
    "getCompletionCertificate": _protected(404, 404, 404),
    "getCompletionEvidence": _protected(404, 404, 404),
    "reviewCompletion": _protected(404, FN, FN),
    "voidCompletion": _protected(404, 404, 404),
    "correctCompletion": _protected(404, 404, 404),
    # catalog: course reads are public but drafts are seen by admins and their provider only
    "getCourse": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "listCourseApprovals": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "listProviderCourses": Op(
        expect={ANON: LIST, BOARD: LIST, PROVIDER: LIST, PEER: LIST}, variants=(_q(), _q(status="draft"))
    ),
    "createCourseApproval": _protected(404, FN, FN),
    "withdrawCourseApproval": _protected(404, FN, FN),
    "retireCourse": _protected(FN, 404, FN),
    # topics: a proposal is seen by admins and its provider; only admins add topics and review proposals
    "getTopic": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "createTopic": _protected(403, OWN, 403),
    "reviewTopic": _protected(403, 403, 403),
    # sessions: read like their course (a draft's only by admins and its provider), written by its provider
    "getSession": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "listCourseSessions": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "getCourseSessionsCalendar": Op(expect={ANON: 404, BOARD: 404, PROVIDER: 404, PEER: 404}),
    "createCourseSession": _protected(FN, 404, FN),
    "updateSession": _protected(FN, 404, FN),
    "deleteSession": _protected(FN, 404, FN),
    "createProvider": _protected(403, 403, 403),
    "upsertCourse": _protected(403, 403, 403),
    "importCourses": _protected(403, 403, 403),
    # rules
    "publishCredential": _protected(403, 403, 403),
    # audit
    "listAuditEntries": _protected(
        LIST,
        403,
        403,
        variants=(
            _q(limit=500),
            _q(entity="person", id=lambda t: str(t["person_id"])),
            _q(entity="certification", id=lambda t: str(t["certification_id"])),
            _q(entity="completion", id=lambda t: str(t["completion_id"])),
        ),
    ),
    # scheduler
    "listFlags": _protected(
        LIST,
        403,
        403,
        variants=(
            _q(limit=500),
            _q(state="VA"),
            _q(credential_code="VA-RPRS"),
            _q(certification_id=lambda t: t["certification_id"]),
            _q(count="true"),
        ),
    ),
    "listSweeps": _protected(403, 403, 403),
    "runSweep": _protected(403, 403, 403),
    "getSweep": _protected(403, 403, 403),
    "listWebhooks": _protected(LIST, 403, 403, variants=(_q(), _q(state="VA"), _q(include_inactive="true"))),
    "createWebhook": _protected(403, 403, 403),
    "listWebhookDeliveries": _protected(LIST, 403, 403, variants=(_q(), _q(subscription_id=lambda t: t["webhook_id"]))),
    "getWebhookDelivery": _protected(404, 403, 403),
    "replayWebhookDelivery": _protected(404, 403, 403),
    "getWebhook": _protected(404, 403, 403),
    "deleteWebhook": _protected(404, 403, 403),
    # reports: aggregates of the caller's scope (a board's states; a training center's approval states for demand,
    # its own courses for activity); the due list names certifications and their holders
    "getComplianceReport": _protected(
        LIST, 403, 403, variants=(_q(), _q(state="VA"), _q(credential_code="VA-RPRS"), _q(format="csv"))
    ),
    "getComplianceTrend": _protected(
        LIST,
        403,
        403,
        variants=(_q(), _q(state="VA"), _q(credential_code="VA-RPRS"), _q(interval="month", format="csv")),
    ),
    "listDueCertifications": _protected(
        LIST,
        403,
        403,
        variants=(
            _q(within_days=366),
            _q(within_days=366, state="VA"),
            _q(within_days=366, credential_code="VA-RPRS"),
            _q(within_days=366, format="csv"),
            _q(within_days=366, count="true", limit=1),
        ),
    ),
    "getTopicsReport": _protected(
        LIST, LIST, 403, variants=(_q(), _q(state="VA"), _q(credential_code="VA-RPRS"), _q(format="csv"))
    ),
    "getProvidersReport": _protected(
        LIST,
        LIST,
        403,
        variants=(_q(), _q(state="VA"), _q(format="csv"), _q(**{"from": "2025-01-01", "to": "2025-12-31"})),
    ),
}

# Out-of-scope objects per role: each path parameter (and the ids bodies use) -> world keys or literals.
# The first of each list is the default; each further one is walked as a case of its own.
_VA = {
    "certification_id": ["cert_va", "cert_sh_va"],
    "person_id": ["person_va"],
    "completion_id": ["pending_va", "done_va_B"],
    "course_id": ["draft_B"],
    "session_id": ["session_draftB"],
    "topic_id": ["topic_B"],
    "approval_id": ["approval_draftB_VA"],
    "provider_id": ["provider_B"],
    "webhook_id": ["hook_VA"],
    "delivery_id": ["delivery_VA"],
    "sweep_id": ["sweep"],
    "code": [Lit("VA-RPRS")],
    "version": [Lit(1)],
    "credential_code": [Lit("VA-RPRS")],
    "number": [Lit(M["va_number"])],
    "state": [Lit("VA")],
    "list_id": [Lit(1)],  # status lists are public: the walk's lists hold every scope's certificates
    "credential_id": [Lit("00000000-0000-4000-8000-000000000000")],  # public by an unguessable uuid
}
FOREIGN: dict[str, dict[str, list]] = {
    ANON: _VA,
    BOARD: _VA,
    PROVIDER: {
        **_VA,
        "person_id": ["person_va", "person_nc"],
        "completion_id": ["pending_va", "done_va_B", "done_sh_B"],
    },
    PEER: {
        **_VA,
        "certification_id": ["cert_sh_nc", "cert_va"],
        "person_id": ["person_sh", "person_va"],
        "completion_id": ["pending_sh", "done_sh_A", "done_va_B"],
        "code": [Lit("NC-CPSS")],
        "state": [Lit("NC")],
    },
}
# In-scope objects, for the positive controls.
_NC = {
    "certification_id": "cert_nc",
    "person_id": "person_nc",
    "completion_id": "done_nc_A",
    "course_id": "course_A",
    "session_id": "session_A",
    "approval_id": "approval_A_NC",
    "provider_id": "provider_A",
    "topic_id": "topic",
    "webhook_id": "hook_NC",
    "delivery_id": "delivery_NC",
    "sweep_id": "sweep",
    "code": Lit("NC-CPSS"),
    "version": Lit(1),
    "credential_code": Lit("NC-CPSS"),
    "number": Lit(M["nc_number"]),
    "state": Lit("NC"),
    "list_id": Lit(1),
    "credential_id": Lit("00000000-0000-4000-8000-000000000000"),
}
OWN_TARGETS: dict[str, dict[str, Any]] = {
    ANON: _NC,
    BOARD: _NC,
    PEER: _NC,
    PROVIDER: {**_NC, "course_id": "draft_A", "session_id": "session_draftA", "topic_id": "topic_A"},
}

# Operations that need an object in a given state: completion_id must name a pending (or accepted) one.
NEEDS = {
    ("reviewCompletion", "completion_id"): "pending_",
    ("getCompletionCertificate", "completion_id"): "done_",
    ("getCompletionEvidence", "completion_id"): "pending_",
}

EMAIL = {"person_nc": M["nc_email"], "person_va": M["va_email"], "person_sh": M["sh_email"]}
FAMILY = {"person_nc": M["nc_family"], "person_va": M["va_family"], "person_sh": M["sh_family"]}

_fresh = itertools.count(1)


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_fresh):05d}"


def _csv(*lines: str) -> dict:
    return {"content": ("\r\n".join(lines) + "\r\n").encode(), "headers": {"content-type": "text/csv"}}


def _publish(w: World, t: dict) -> dict:
    return {"json": {**w.documents[t["code"]], "notes": "A new version published by the scope walk."}}


# A valid request per operation with a body, from the world and the resolved targets.
BODIES: dict[str, Callable[[World, dict], dict]] = {
    "createCertification": lambda w, t: {
        "json": {
            "person_id": t["person_id"],
            "credential_code": "NC-CPSS",
            "number": fresh("WALK-NC"),
            "issued_on": "2025-05-01",
        }
    },
    "importCertifications": lambda w, t: _csv(
        "given_name,family_name,email,credential_code,number,issued_on",
        f"Hacked,ByWalk,{t['email']},NC-CPSS,{fresh('WALK-NC')},2025-05-01",
    ),
    "updateCertification": lambda w, t: {"json": {"number": fresh("WALK-RENUMBERED")}},
    "createBoardAction": lambda w, t: {
        "json": {"kind": "suspend", "effective_on": "2026-03-01", "reason": "Suspended by the scope walk"}
    },
    "createActivity": lambda w, t: {
        "json": {"requirement_id": "code-of-ethics", "on": "2025-12-01", "note": "Attested in the scope walk"}
    },
    "simulateCompliance": lambda w, t: {"json": {}},
    "createPerson": lambda w, t: {
        "json": {"given_name": "Walk", "family_name": "Newperson", "email": f"{fresh('walk')}@walk.example"}
    },
    "updatePerson": lambda w, t: {"json": {"external_ref": "walk-changed-ref"}},
    "createCompletion": lambda w, t: {
        "json": {"person_id": t["person_id"], "course_id": w["course_A"], "completed_on": "2025-11-03"}
    },
    "importCompletions": lambda w, t: _csv(
        "person_id,course_id,completed_on", f"{t['person_id']},{w['course_A']},2025-11-04"
    ),
    "reviewCompletion": lambda w, t: {"json": {"decision": "approve", "reason": "Reviewed in the scope walk"}},
    "voidCompletion": lambda w, t: {"json": {"reason": "Voided by the scope walk"}},
    "correctCompletion": lambda w, t: {"json": {"reason": "Corrected by the scope walk", "completed_on": "2025-06-09"}},
    "createCourseApproval": lambda w, t: {
        "json": {"credential_code": "NC-CPSS", "categories": [], "valid_from": "2028-01-01"}
    },
    "withdrawCourseApproval": lambda w, t: {
        "json": {"withdrawn_on": "2026-01-01", "reason": "Withdrawn by the scope walk"}
    },
    "createProvider": lambda w, t: {"json": {"name": fresh("Walk Provider")}},
    "createCourseSession": lambda w, t: {
        "json": {
            "starts_at": "2026-03-03T10:00:00",
            "ends_at": "2026-03-03T12:00:00",
            "timezone": "America/Chicago",
            "modality": "in_person",
            "location": "Walk Hall",
        }
    },
    "updateSession": lambda w, t: {"json": {"capacity": 12}},
    "createTopic": lambda w, t: {
        "json": {
            "id": fresh("walk-new").lower(),
            "name": "A topic of the walk",
            "description": "Proposed or added by the scope walk.",
        }
    },
    "reviewTopic": lambda w, t: {"json": {"decision": "accept", "reason": "Accepted in the scope walk"}},
    "upsertCourse": lambda w, t: {
        "json": {
            "external_id": fresh("WALK"),
            "title": "Walk course",
            "hours": 1,
            "modality": "live_virtual",
            "topics": [w["topic"]],
        }
    },
    "importCourses": lambda w, t: _csv(
        "external_id,title,hours,modality,topics", f"{fresh('WALK')},Walk imported course,1,live_virtual,{w['topic']}"
    ),
    "publishCredential": _publish,
    "runSweep": lambda w, t: {"json": {}},
    "createWebhook": lambda w, t: {"json": {"state": t["state"], "url": "https://93.184.216.34/walk-hook"}},
    "verifyCertificate": lambda w, t: {"json": {"certificate": "eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl"}},
}


# The targets each body refers to (beyond the path): requests that differ only elsewhere are the same.
BODY_USES = {
    "createCertification": ("person_id",),
    "importCertifications": ("person_id",),
    "createCompletion": ("person_id",),
    "importCompletions": ("person_id",),
    "createWebhook": ("state",),
}


@dataclass(frozen=True)
class Positive:
    """An in-scope call that must succeed: proves the role's token and the tables are not vacuous."""

    status: int
    targets: dict[str, Any] = field(default_factory=dict)  # overrides of OWN_TARGETS
    body: Callable[[World, dict], dict] | None = None  # instead of BODIES
    query: dict = field(default_factory=dict)
    evidence: tuple[str, ...] = ()  # world keys whose id, or marker names whose text, the answer shows
    allow: frozenset[str] = frozenset()  # markers the caller sent itself


def _identified(w: World, t: dict) -> dict:
    return {
        "json": {
            "credential_code": "NC-CPSS",
            "certificate_number": M["nc_number"],
            "family_name": M["nc_family"],
            "course_id": w["course_A"],
            "completed_on": "2025-11-03",
        }
    }


def _roster(w: World, t: dict) -> dict:
    return _csv(
        "credential_code,certificate_number,family_name,course_id,completed_on",
        f"NC-CPSS,{M['nc_number']},{M['nc_family']},{w['course_A']},2025-11-05",
    )


_SELF = lambda w, t: {"json": {"course_id": w["course_A"], "completed_on": "2025-11-06"}}  # noqa: E731
_READ = Positive(200)
POSITIVE: dict[str, dict[str, Positive]] = {
    "listCertifications": {
        BOARD: Positive(200, evidence=("cert_nc", "cert_sh_nc")),
        PEER: Positive(200, evidence=("cert_nc",)),
    },
    "createCertification": {BOARD: Positive(201)},
    "exportCertifications": {
        BOARD: Positive(200, evidence=("nc_email", "sh_nc_number")),
        PEER: Positive(200, evidence=("nc_number",)),
    },
    "importCertifications": {
        BOARD: Positive(
            200,
            body=lambda w, t: _csv(
                "given_name,family_name,email,credential_code,number,issued_on",
                f"Walk,Imported,{fresh('walk')}@walk.example,NC-CPSS,{fresh('WALK-NC')},2025-05-01",
            ),
        )
    },
    "getCertification": {BOARD: _READ, PEER: _READ},
    "updateCertification": {BOARD: _READ},
    "createBoardAction": {BOARD: Positive(201)},
    "listActivities": {BOARD: Positive(200, evidence=("nc_note",)), PEER: Positive(200, evidence=("nc_note",))},
    "createActivity": {BOARD: Positive(201), PEER: Positive(201)},
    "getCompliance": {BOARD: _READ, PEER: _READ},
    "simulateCompliance": {BOARD: _READ, PEER: _READ},
    "getCertificationHistory": {BOARD: _READ, PEER: _READ},
    "listMyCertifications": {PEER: Positive(200, evidence=("nc_number",))},
    "createPerson": {BOARD: Positive(201)},
    "getPerson": {BOARD: _READ, PEER: _READ},
    "updatePerson": {BOARD: _READ},
    "getTranscript": {
        BOARD: Positive(200, evidence=("nc_number",)),
        PEER: Positive(200, query={"format": "csv"}, evidence=("nc_number",)),
    },
    "listCompletions": {
        BOARD: Positive(200, evidence=("done_nc_A", "pending_sh")),
        PROVIDER: Positive(200, evidence=("done_nc_A", "done_sh_A")),
        PEER: Positive(200, evidence=("done_nc_A", "pending_nc")),
    },
    # providers identify a learner by credential code, certificate number and family name (issue 16); the
    # answer names the learner it identified (issue 19): the given name is what public verification shows
    "createCompletion": {
        BOARD: Positive(201),
        PROVIDER: Positive(201, body=_identified, allow=frozenset({"nc_number", "nc_family", "nc_given"})),
        PEER: Positive(201, body=_SELF),
    },
    "importCompletions": {
        BOARD: Positive(200, targets={"person_id": "person_nc"}),
        PROVIDER: Positive(200, body=_roster, allow=frozenset({"nc_number", "nc_family"})),
    },
    "getCompletion": {BOARD: _READ, PROVIDER: _READ, PEER: _READ},
    "getCompletionCertificate": {BOARD: _READ, PROVIDER: _READ, PEER: _READ},
    "getCompletionEvidence": {
        BOARD: Positive(200, targets={"completion_id": "pending_nc"}),
        PEER: Positive(200, targets={"completion_id": "pending_nc"}),
    },
    "reviewCompletion": {BOARD: Positive(200, targets={"completion_id": "pending_nc"})},
    "voidCompletion": {BOARD: _READ, PROVIDER: _READ, PEER: Positive(200, targets={"completion_id": "pending_nc"})},
    "correctCompletion": {
        BOARD: Positive(201),
        PROVIDER: Positive(201),
        PEER: Positive(201, targets={"completion_id": "pending_nc"}),
    },
    "getCourse": {ANON: Positive(200), BOARD: _READ, PROVIDER: Positive(200, evidence=("a_draft",)), PEER: _READ},
    "listCourseApprovals": {ANON: _READ, BOARD: _READ, PROVIDER: _READ, PEER: _READ},
    "listProviderCourses": {
        ANON: Positive(200, evidence=("course_A",)),
        BOARD: Positive(200, evidence=("course_A",)),
        PROVIDER: Positive(200, evidence=("course_A", "a_draft")),
        PEER: Positive(200, evidence=("course_A",)),
    },
    "createCourseApproval": {BOARD: Positive(201)},
    "withdrawCourseApproval": {BOARD: _READ},
    "retireCourse": {PROVIDER: _READ},
    "getSession": {ANON: Positive(200), BOARD: _READ, PROVIDER: Positive(200, evidence=("a_draft",)), PEER: _READ},
    "listCourseSessions": {
        ANON: Positive(200, evidence=("session_A",)),
        BOARD: _READ,
        PROVIDER: Positive(200, evidence=("session_draftA",)),
        PEER: _READ,
    },
    "getCourseSessionsCalendar": {ANON: _READ, PROVIDER: _READ},
    "createCourseSession": {PROVIDER: Positive(201)},
    "updateSession": {PROVIDER: _READ},
    "deleteSession": {PROVIDER: Positive(204)},
    "getTopic": {ANON: _READ, BOARD: _READ, PROVIDER: Positive(200, evidence=("a_topic",)), PEER: _READ},
    "createTopic": {PROVIDER: Positive(202)},
    "upsertCourse": {PROVIDER: Positive(201)},
    "importCourses": {PROVIDER: _READ},
    "publishCredential": {BOARD: _READ},
    "listAuditEntries": {BOARD: Positive(200, query={"limit": 500}, evidence=("nc_number", "nc_hook"))},
    "listFlags": {BOARD: Positive(200, query={"limit": 500}, evidence=("cert_nc",))},
    "listWebhooks": {BOARD: Positive(200, evidence=("nc_hook",))},
    "createWebhook": {BOARD: Positive(201)},
    "listWebhookDeliveries": {BOARD: Positive(200, evidence=("delivery_NC",))},
    "getWebhookDelivery": {BOARD: _READ},
    "replayWebhookDelivery": {BOARD: Positive(202)},
    "getWebhook": {BOARD: _READ},
    "deleteWebhook": {BOARD: Positive(204)},
    "getComplianceReport": {BOARD: _READ},
    "getComplianceTrend": {BOARD: _READ},
    "listDueCertifications": {
        BOARD: Positive(
            200, query={"within_days": 366}, evidence=("cert_nc", "cert_sh_nc", "nc_number", "sh_nc_number")
        )
    },
    "getTopicsReport": {BOARD: _READ, PROVIDER: _READ},
    "getProvidersReport": {BOARD: _READ, PROVIDER: _READ},
}

# Operations whose walked request an admin cannot make either, and why that is no gap.
NO_ADMIN_CONTROL = {"listMyCertifications": "peers only: it answers with the caller's own certifications"}

# Objects a role may see whose other-scope parts must stay hidden: (operationId, targets, query).
SEE_ONLY_OWN_PARTS = {
    BOARD: [
        ("getPerson", {"person_id": "person_sh"}, {}),
        ("getTranscript", {"person_id": "person_sh"}, {}),
        ("getTranscript", {"person_id": "person_sh"}, {"format": "csv"}),
        ("listCertifications", {}, {"person_id": "person_sh"}),
        ("getCompletion", {"completion_id": "done_sh_A"}, {}),
        ("getCompletion", {"completion_id": "pending_sh"}, {}),
    ],
    PROVIDER: [
        ("getCompletion", {"completion_id": "done_sh_A"}, {}),
        ("getCompletionCertificate", {"completion_id": "done_sh_A"}, {}),
        ("listCompletions", {}, {"person_id": "person_sh"}),
    ],
}
