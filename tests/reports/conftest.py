"""A small population in NC, PA and VA, built once per module through the API, each test in a savepoint.

    NC-CPSS   one due soon (cycle ends 2026-02-28), one met (20 hours), one in progress
    PA-CPS    one due soon with both categories short (ends 2026-01-31), one in progress with ethics done
    VA-RPRS   one due soon (approved courses only), one lapsed
    shared    a person certified in NC and PA
    providers Alder (core, ethics, a retired course, one whose approval was withdrawn) and Birch (trauma,
              a draft); completions from 2024 to 2025, one voided, one self-report pending review

Then a full sweep on TODAY, so statuses, category gaps and the first snapshot are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.main import create_app
from tests.scheduler.helpers import clock_on, sweep
from tests.support.client import ApiClient

TODAY = date(2026, 1, 5)


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]


def _ok(response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), (response.request.url, response.text)
    return response.json() if response.content else {}


def build(admin, tokens, client) -> World:
    w = World()
    ids = w.ids
    for key, name in (("alder", "Alder Reports Training Center"), ("birch", "Birch Reports Training Center")):
        ids[key] = _ok(admin.post("/v1/providers", json={"name": name, "kind": "attc_region"}))["id"]

    def course(
        key: str,
        provider: str,
        hours: float,
        topics: list[str],
        approvals: dict[str, list[str]],
        status: str = "published",
        modality: str = "live_virtual",
    ) -> None:
        ids[key] = _ok(
            admin.post(
                f"/v1/providers/{ids[provider]}/courses",
                json={
                    "external_id": key,
                    "title": f"Reports {key} course",
                    "hours": hours,
                    "modality": modality,
                    "topics": topics,
                    "available_from": "2023-01-01",
                    "status": status,
                },
            )
        )["id"]
        for code, categories in approvals.items():
            ids[f"{key}_{code}"] = _ok(
                admin.post(
                    f"/v1/courses/{ids[key]}/approvals", json={"credential_code": code, "categories": categories}
                )
            )["id"]

    course("core", "alder", 6, ["peer-support-core"], {"PA-CPS": ["peer-support-recovery"], "NC-CPSS": []})
    course("ethics", "alder", 3, ["ethics-and-boundaries"], {"PA-CPS": ["ethics"], "VA-RPRS": ["ethics"]})
    course("tag_only", "alder", 1.5, ["cultural-competence"], {"VA-RPRS": ["ethics"]})  # VA tags it ethics
    course("gone", "alder", 4, ["harm-reduction"], {"PA-CPS": []})
    _ok(
        admin.post(
            f"/v1/courses/{ids['gone']}/approvals/{ids['gone_PA-CPS']}/withdraw",
            json={"withdrawn_on": "2025-06-01", "reason": "Withdrawn for the reports tests"},
        )
    )
    course("retired", "alder", 5, ["harm-reduction"], {"NC-CPSS": []})
    _ok(admin.post(f"/v1/courses/{ids['retired']}/retire"))
    course("trauma", "birch", 2.5, ["trauma-informed-practice"], {"NC-CPSS": [], "VA-RPRS": []}, modality="self_paced")
    course(
        "big", "birch", 10, ["peer-support-core", "recovery-oriented-practice"], {"NC-CPSS": []}, modality="in_person"
    )
    course("draft", "birch", 2, ["suicide-prevention"], {"NC-CPSS": []}, status="draft")

    def person(key: str) -> None:
        ids[key] = _ok(
            admin.post(
                "/v1/people",
                json={"given_name": key.title(), "family_name": f"Reportson{key}", "email": f"{key}@reports.example"},
            )
        )["id"]

    def certify(key: str, who: str, code: str, issued_on: str) -> None:
        number = f"RPT-{key.replace('_', '-')}"
        ids[key] = _ok(
            admin.post(
                "/v1/certifications",
                json={"person_id": ids[who], "credential_code": code, "number": number, "issued_on": issued_on},
            )
        )["id"]

    for p in ("nina", "ned", "nora", "pat", "paula", "val", "vic", "sam"):
        person(p)
    certify("nc_due", "nina", "NC-CPSS", "2024-02-10")  # cycle ends 2026-02-28
    certify("nc_met", "ned", "NC-CPSS", "2024-03-20")  # 20 hours: met
    certify("nc_new", "nora", "NC-CPSS", "2025-09-01")  # in progress
    certify("pa_due", "pat", "PA-CPS", "2024-02-01")  # ends 2026-01-31, both categories short
    certify("pa_new", "paula", "PA-CPS", "2025-06-01")  # in progress, ethics done
    certify("va_due", "val", "VA-RPRS", "2025-02-01")  # ends 2026-01-31
    certify("va_old", "vic", "VA-RPRS", "2023-10-01")  # lapsed
    certify("sh_nc", "sam", "NC-CPSS", "2025-05-01")
    certify("sh_pa", "sam", "PA-CPS", "2025-04-01")

    def complete(key: str, who: str, course_key: str, on: str) -> None:
        ids[key] = _ok(
            admin.post(
                "/v1/completions", json={"person_id": ids[who], "course_id": ids[course_key], "completed_on": on}
            )
        )["id"]

    complete("k1", "nina", "core", "2025-03-02")
    complete("k2", "ned", "big", "2024-06-01")
    complete("k3", "ned", "core", "2025-01-10")
    complete("k4", "ned", "trauma", "2025-02-11")
    complete("k5", "ned", "ethics", "2025-04-12")
    complete("k6", "pat", "core", "2025-05-03")
    complete("k7", "pat", "ethics", "2024-08-04")
    complete("k8", "paula", "ethics", "2025-07-05")
    complete("k9", "val", "ethics", "2025-03-06")
    complete("k10", "sam", "core", "2025-08-07")  # counts for NC and PA
    complete("k11", "sam", "trauma", "2025-09-08")
    complete("k12", "vic", "tag_only", "2025-10-09")
    complete("voided", "nora", "big", "2025-10-10")
    _ok(admin.post(f"/v1/completions/{ids['voided']}/void", json={"reason": "Entered twice (reports tests)"}))
    peer = client.as_(tokens.peer(ids["nora"]))
    ids["pending"] = _ok(
        peer.post("/v1/completions", json={"course_id": ids["trauma"], "completed_on": "2025-11-01"}), 201
    )["id"]
    return w


@dataclass
class Env:
    connection: Connection
    app: Any
    client: ApiClient
    tokens: Any
    world: World

    def as_(self, token: str | None) -> ApiClient:
        return self.client.as_(token)

    @property
    def admin(self) -> ApiClient:
        return self.client.as_(self.tokens.admin())

    def board(self, *states: str) -> ApiClient:
        return self.client.as_(self.tokens.board(*states))

    def provider(self, key: str) -> ApiClient:
        return self.client.as_(self.tokens.provider(self.world[key]))

    def sweep(self, day: date, **kw: Any):
        self.app.state.clock = clock_on(day)
        return sweep(self.app, **kw)


@pytest.fixture(scope="module")
def reports_env(engine, settings, tokens) -> Iterator[Env]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            app = create_app(settings, engine=engine)
            app.state.session_factory = sessionmaker(
                bind=conn, class_=Session, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            app.state.clock = clock_on(TODAY)
            client = ApiClient(app)
            try:
                world = build(client.as_(tokens.admin()), tokens, client)
                env = Env(connection=conn, app=app, client=client, tokens=tokens, world=world)
                env.sweep(TODAY, full=True)
                yield env
            finally:
                client.close()
        finally:
            outer.rollback()


@pytest.fixture
def env(reports_env: Env) -> Iterator[Env]:
    """The module's world inside a savepoint, rolled back after the test (clock back on TODAY)."""
    savepoint = reports_env.connection.begin_nested()
    try:
        yield reports_env
    finally:
        reports_env.app.state.clock = clock_on(TODAY)
        if savepoint.is_active:
            savepoint.rollback()
