"""`peer-ce demo`: a realistic synthetic population in the configured database, through the services.

Booster courses from ATTC-style regional centers (added to the shipped sample catalog), a few hundred
peers certified in several states, completions spread over their cycles so that every status occurs
today, board flags from a sweep, and ready-to-open URLs with development tokens. Deterministic for a
seed on a given day (cycles are planned backwards from today with the pure rule engine). Run twice,
it adds nothing and prints the URLs again.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.principal import Principal, Role
from app.catalog import approvals
from app.catalog import service as catalog
from app.catalog.models import Course, Provider
from app.catalog.schemas import ApprovalCreate, CourseUpsert, ProviderCreate, ProviderKind
from app.certifications import bulk
from app.certifications import service as certifications
from app.certifications.models import Certification
from app.certifications.schemas import BoardActionCreate
from app.clock import Clock
from app.completions import importer
from app.config import Settings
from app.constants import DEFAULT_TIMEZONE
from app.db import id_of, make_engine, make_session_factory, session_scope
from app.people.models import Person
from app.reports import snapshots
from app.rules import engine
from app.rules import service as rules_service
from app.sample_names import FAMILY, GIVEN
from app.sessions import demo as demo_sessions

DOMAIN = "demo.example.org"
FEATURED_EMAIL = f"jordan.rivera@{DOMAIN}"
COURSES_FROM = date(2018, 1, 1)
CREDENTIALS = {"NC-CPSS": 4, "PA-CPS": 4, "VA-RPRS": 3, "WV-PRSS-MH": 3, "OH-PEER": 3, "GA-CPS-MH": 3, "NY-CRPA": 2}
TARGETS = {"compliant": 34, "in_progress": 30, "due_soon": 15, "overdue": 8, "lapsed": 11, "suspended": 2}

# provider -> courses: (external_id, title, hours, modality, topics, {credential: [categories]})
PROVIDERS: dict[tuple[str, ProviderKind, str], list[tuple[Any, ...]]] = {
    ("Demo Appalachian Regional Training Center (demo data)", "attc_region", "Demo HHS Region 3 (demo data)"): [
        (
            "APP-ETH-1",
            "Peer recovery code of ethics, part 1",
            3,
            "live_virtual",
            ["ethics-and-boundaries"],
            {"WV-PRSS-MH": ["peer-code-of-ethics"], "VA-RPRS": ["ethics"], "PA-CPS": ["ethics"], "NC-CPSS": []},
        ),
        (
            "APP-ETH-2",
            "Peer recovery code of ethics, part 2",
            3,
            "in_person",
            ["ethics-and-boundaries"],
            {"WV-PRSS-MH": ["peer-code-of-ethics"], "VA-RPRS": ["ethics"], "GA-CPS-MH": ["peer-ethics"]},
        ),
        (
            "APP-CORE-1",
            "Mutuality and active listening booster",
            6,
            "in_person",
            ["peer-support-core"],
            {"PA-CPS": ["peer-support-recovery"], "WV-PRSS-MH": [], "NC-CPSS": [], "VA-RPRS": []},
        ),
        (
            "APP-CORE-2",
            "Person-centered recovery planning booster",
            6,
            "live_virtual",
            ["recovery-oriented-practice"],
            {"PA-CPS": ["peer-support-recovery"], "WV-PRSS-MH": [], "NC-CPSS": []},
        ),
        (
            "APP-CORE-3",
            "Recovery capital and multiple pathways",
            6,
            "self_paced",
            ["recovery-oriented-practice"],
            {"PA-CPS": ["peer-support-recovery"], "WV-PRSS-MH": []},
        ),
        (
            "APP-CORE-4",
            "Wellness and recovery action planning",
            6,
            "in_person",
            ["peer-support-core", "whole-health-wellness"],
            {"PA-CPS": ["peer-support-recovery"], "WV-PRSS-MH": []},
        ),
        (
            "APP-MOUD",
            "Supporting people on medications for opioid use disorder",
            2,
            "self_paced",
            ["medication-supported-recovery"],
            {"WV-PRSS-MH": [], "VA-RPRS": [], "NC-CPSS": []},
        ),
        (
            "APP-SP",
            "Suicide safety for peer specialists",
            3,
            "live_virtual",
            ["suicide-prevention"],
            {"WV-PRSS-MH": [], "VA-RPRS": [], "NC-CPSS": [], "NY-CRPA": []},
        ),
        (
            "APP-TIC",
            "Trauma-informed peer support booster",
            2,
            "live_virtual",
            ["trauma-informed-practice"],
            {"WV-PRSS-MH": [], "VA-RPRS": [], "NC-CPSS": [], "OH-PEER": ["trauma-informed-care"]},
        ),
    ],
    ("Demo Great Lakes Regional Training Center (demo data)", "attc_region", "Demo HHS Region 5 (demo data)"): [
        (
            "GL-HT",
            "Recognising human trafficking",
            1,
            "self_paced",
            ["human-trafficking"],
            {"OH-PEER": ["human-trafficking"]},
        ),
        (
            "GL-CC",
            "Cultural humility in peer work",
            2,
            "live_virtual",
            ["cultural-competence"],
            {"OH-PEER": ["diversity-cultural"], "NY-CRPA": []},
        ),
        (
            "GL-SN",
            "Navigating benefits and services",
            2,
            "live_virtual",
            ["system-navigation"],
            {"OH-PEER": ["system-navigation"]},
        ),
        ("GL-BND", "Self-disclosure and boundaries", 3, "in_person", ["self-disclosure"], {"OH-PEER": ["boundaries"]}),
        ("GL-COACH", "Recovery coaching skills", 4, "in_person", ["peer-support-core"], {"OH-PEER": ["coaching"]}),
        (
            "GL-BHK",
            "Co-occurring conditions: the basics",
            3,
            "self_paced",
            ["co-occurring-disorders"],
            {"OH-PEER": ["behavioral-health-knowledge"], "NY-CRPA": []},
        ),
        (
            "GL-WELL",
            "Whole health for peers",
            2,
            "live_virtual",
            ["whole-health-wellness"],
            {"OH-PEER": ["health-and-wellness"]},
        ),
        (
            "GL-ETH",
            "Ethical decisions in peer practice",
            4,
            "live_virtual",
            ["ethics-and-boundaries"],
            {"OH-PEER": ["ethics"], "NY-CRPA": ["ethics"]},
        ),
    ],
    ("Demo Georgia Peer Network (demo data)", "peer_run_organization", "Demo Georgia (demo data)"): [
        (
            "GPN-SPON-1",
            "Peer leadership day (network-sponsored)",
            6,
            "in_person",
            ["peer-support-core"],
            {"GA-CPS-MH": ["gmhcn-sponsored"]},
        ),
        (
            "GPN-SPON-2",
            "Regional recovery conference (network-sponsored)",
            6,
            "in_person",
            ["recovery-oriented-practice"],
            {"GA-CPS-MH": ["gmhcn-sponsored"]},
        ),
        (
            "GPN-ETH",
            "Peer ethics refresher",
            2,
            "live_virtual",
            ["ethics-and-boundaries"],
            {"GA-CPS-MH": ["peer-ethics"]},
        ),
        ("GPN-WH", "Whole health and resilience", 4, "self_paced", ["whole-health-wellness"], {"GA-CPS-MH": []}),
    ],
    ("Demo Empire State Recovery Institute (demo data)", "training_center", "Demo New York (demo data)"): [
        (
            "ESR-ETH",
            "Ethics for recovery peer advocates",
            4,
            "live_virtual",
            ["law-and-ethics"],
            {"NY-CRPA": ["ethics"]},
        ),
        (
            "ESR-PD",
            "Supervision and career development",
            6,
            "in_person",
            ["supervision"],
            {"NY-CRPA": ["professional-development"]},
        ),
        ("ESR-HR", "Harm reduction in practice", 6, "live_virtual", ["harm-reduction"], {"NY-CRPA": []}),
        ("ESR-CR", "Crisis support and de-escalation", 6, "in_person", ["crisis-support"], {"NY-CRPA": []}),
        ("ESR-FAM", "Supporting families in recovery", 6, "live_virtual", ["peer-support-core"], {"NY-CRPA": []}),
        (
            "ESR-MH",
            "Contemporary mental health and substance use",
            6,
            "self_paced",
            ["mental-health-substance-use"],
            {"NY-CRPA": []},
        ),
    ],
}


class DemoError(RuntimeError):
    """The demo cannot run here (e.g. a production key is configured)."""


@dataclass
class Peer:
    given: str
    family: str
    certs: list[tuple[str, str, date]] = field(default_factory=list)  # (code, number, issued_on)
    completions: list[tuple[int, date]] = field(default_factory=list)  # (course_id, completed_on)
    suspend: bool = False

    @property
    def email(self) -> str:
        return f"{self.given}.{self.family}@{DOMAIN}".lower()


@dataclass
class DemoReport:
    created: bool
    today: date
    peers: int
    completions: int
    statuses: dict[str, int]
    featured_person_id: int
    featured: list[tuple[str, str]]  # (credential_code, status)
    board_state: str
    provider_id: int
    provider_name: str


class Planner:
    """Plans certifications and completions with the pure engine so that each peer gets a target status."""

    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.versions = {
            code: rules_service.engine_versions(rules_service.versions_of(session, code)) for code in CREDENTIALS
        }
        ids = [
            cid
            for cid in session.exec(
                select(col(Course.id)).where(col(Course.status) == "published").order_by(col(Course.id))
            )
            if cid is not None
        ]
        facts, apps = catalog.course_facts(session, ids), catalog.engine_approvals(session, ids)
        self.courses = {cid: (facts[cid], apps.get(cid, ())) for cid in ids}
        self.eligible = {
            code: [
                cid
                for cid in ids
                if not self.versions[code][-1].rules.approved_only
                or any(a.credential_code == code for a in apps.get(cid, ()))
            ]
            for code in CREDENTIALS
        }

    def rules(self, code: str):
        return self.versions[code][-1].rules

    def evaluate(self, code: str, issued: date, comps: list[tuple[int, date]]) -> engine.Evaluation:
        items = [
            engine.Completion(
                id=n,
                course_key=f"course:{cid}",
                completed_on=day,
                hours=self.courses[cid][0].hours,
                modality=self.courses[cid][0].modality,
                accepted=True,
                topics=self.courses[cid][0].topics,
                approvals=self.courses[cid][1],
            )
            for n, (cid, day) in enumerate(comps, start=1)
        ]
        return engine.evaluate(
            versions=self.versions[code],
            facts=engine.CertificationFacts(issued, code),
            completions=items,
            as_of=self.today,
            explain=False,
        )

    def fill(self, code: str, issued: date, comps: list, start: date, end: date, target: Decimal | None) -> None:
        """Add completions inside [start, end] until the cycle is met (target None) or has `target` hours."""
        last = min(end, self.today)
        used = {cid for cid, day in comps if start <= day <= end}
        cats = [c.category for c in self.rules(code).requirements.categories]
        skip = self.rng.choice(cats) if cats and target is not None else None
        for _ in range(40):
            r = self.evaluate(code, issued, comps)
            if r.cycle_start != start or r.status == "compliant":
                return
            if target is not None and r.earned_hours >= target:
                return
            need = {c.category for c in r.categories if c.remaining_hours > 0}
            pool = [cid for cid in self.eligible[code] if cid not in used and _from(self.courses[cid][0], last) <= last]
            if skip:
                pool = [cid for cid in pool if skip not in self._counts(code, cid)] or pool
            preferred = [cid for cid in pool if self._counts(code, cid) & need] if target is None else []
            if not pool:
                return
            cid = self.rng.choice(preferred or pool)
            first = _from(self.courses[cid][0], start)
            comps.append((cid, first + timedelta(days=self.rng.randint(0, max((last - first).days, 0)))))
            used.add(cid)

    def _counts(self, code: str, cid: int) -> set[str]:
        facts, apps = self.courses[cid]
        cats = {c for a in apps if a.credential_code == code for c in a.categories}
        for cat in self.rules(code).requirements.categories:
            if set(cat.topics or ()) & facts.topics:
                cats.add(cat.category)
        return cats

    def _choose_issue(self, code: str, target: str) -> tuple[date, int] | None:
        """An issue date and the index of the cycle to stop at, by date arithmetic alone."""
        rules, today = self.rules(code), self.today
        grace, soon = timedelta(days=rules.grace_days), timedelta(days=rules.due_soon_days)
        for _ in range(4000):
            issued = today - timedelta(days=self.rng.randint(20, 6 * 365))
            bounds = []
            for start, end in engine.iter_cycle_bounds(rules, issued):
                bounds.append((start, end))
                if end >= today:
                    break
            current = len(bounds) - 1
            start, end = bounds[current]
            if target == "due_soon" and end - soon <= today and (today - start).days > 60:
                return issued, current
            if target in ("in_progress", "suspended") and today < end - soon:
                return issued, current
            if target == "compliant" and (today - start).days > 30:
                return issued, current
            if target == "overdue" and current and bounds[current - 1][1] < today <= bounds[current - 1][1] + grace:
                return issued, current - 1
            if target == "lapsed":
                past = [i for i, (_, e) in enumerate(bounds) if e + grace < today]
                if past:
                    return issued, self.rng.choice(past)
        return None

    def plan(self, code: str, target: str) -> tuple[date, list[tuple[int, date]]]:
        best: tuple[date, list] | None = None
        for _ in range(6):
            chosen = self._choose_issue(code, target)
            if chosen is None:
                break
            issued, stop = chosen
            comps: list[tuple[int, date]] = []
            for i, (start, end) in enumerate(engine.iter_cycle_bounds(self.rules(code), issued)):
                if i < stop:
                    self.fill(code, issued, comps, start, end, None)
                    continue
                required = Decimal(self.rules(code).requirements.total_hours)
                share = Decimal(self.rng.randint(15, 75)) / 100
                self.fill(code, issued, comps, start, end, None if target == "compliant" else required * share)
                break
            best = (issued, comps)
            status = self.evaluate(code, issued, comps).status
            if status == ("in_progress" if target == "suspended" else target):
                return best
        return best or (self.today - timedelta(days=30), [])


def run_demo(settings: Settings, *, peers: int, seed: int, clock: Clock | None = None) -> DemoReport:
    """Migrate, load content, then add the demo population unless it is already there."""
    from app.content import load_shipped_content
    from app.migrate import upgrade_to_head
    from app.scheduler.sweep import run_sweep

    if not settings.uses_dev_key:
        raise DemoError("a production key is configured; the demo only runs with the development key")
    clock = clock or Clock()
    db_engine = make_engine(settings)
    try:
        upgrade_to_head(db_engine)
        factory = make_session_factory(db_engine)
        load_shipped_content(factory, settings.content_dir)
        with session_scope(factory, write=True) as session:
            created = session.exec(select(Person.id).where(Person.email == FEATURED_EMAIL)).first() is None
            if created:
                _populate(session, peers=peers, seed=seed, clock=clock)
        if created:
            run_sweep(factory, db_engine, settings=settings, clock=clock, full=True, triggered_by="demo")
            with session_scope(factory, write=True) as session:  # a year of trend for the board dashboard
                snapshots.backfill(session, days=history_days(clock.today(DEFAULT_TIMEZONE)))
        with session_scope(factory, write=True) as session:
            return _report(session, created=created, today=clock.today(DEFAULT_TIMEZONE))
    finally:
        db_engine.dispose()


def history_days(today: date) -> list[date]:
    """The past days the demo's trend shows: the last day of each of the 12 months before this one, and the
    same weekday of each of the 12 weeks before this one (as daily sweeps would have recorded them)."""
    month_ends, first = [], today.replace(day=1)
    for _ in range(12):
        first = (first - timedelta(days=1)).replace(day=1)
        month_ends.append(engine.add_months(first, 1) - timedelta(days=1))
    return sorted(set(month_ends) | {today - timedelta(weeks=k) for k in range(1, 13)})


def _populate(session: Session, *, peers: int, seed: int, clock: Clock) -> None:
    rng, today = random.Random(seed), clock.today(DEFAULT_TIMEZONE)
    admin = Principal(subject="demo", role=Role.admin)
    _catalog(session, admin, today, clock)
    planner = Planner(session, rng, today)
    population = [_featured(session, planner, rng)]
    order = list(TARGETS)
    names: set[tuple[str, str]] = {("Jordan", "Rivera")}
    for n in range(peers - 1):
        target = order[n] if n < len(order) else rng.choices(order, weights=list(TARGETS.values()))[0]
        codes = [
            c
            for c in CREDENTIALS
            if (target != "overdue" or planner.rules(c).grace_days)
            and (target != "compliant" or not planner.rules(c).requirements.other)
        ]
        code = rng.choices(codes, weights=[CREDENTIALS[c] for c in codes])[0]
        while (name := (rng.choice(GIVEN), rng.choice(FAMILY))) in names:
            name = (name[0], f"{name[1]}-{rng.choice(FAMILY)}")
        names.add(name)
        issued, comps = planner.plan(code, target)
        population.append(
            Peer(
                *name, certs=[(code, f"{code}-D{n + 2:05d}", issued)], completions=comps, suspend=target == "suspended"
            )
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(bulk.REQUIRED)
    for peer in population:
        for code, number, issued in peer.certs:
            writer.writerow([peer.given, peer.family, peer.email, code, number, issued.isoformat()])
    bulk.import_certifications(
        session, principal=admin, body=buffer.getvalue().encode(), content_type="text/csv", dry_run=False, clock=clock
    )
    by_provider: dict[int, list[dict]] = {}
    owner = {cid: pid for cid, pid in session.exec(select(col(Course.id), col(Course.provider_id)))}
    for peer in population:
        code, number, _ = peer.certs[0]
        for cid, day in peer.completions:
            by_provider.setdefault(owner[cid], []).append(
                {
                    "credential_code": code,
                    "certificate_number": number,
                    "family_name": peer.family,
                    "course_id": cid,
                    "completed_on": day.isoformat(),
                }
            )
    for provider_id, rows in sorted(by_provider.items()):
        reporter = Principal(subject=f"demo-provider-{provider_id}", role=Role.provider, provider_id=provider_id)
        importer.import_completions(
            session,
            principal=reporter,
            body=json.dumps(rows).encode(),
            content_type="application/json",
            dry_run=False,
            clock=clock,
        )
    for peer in (p for p in population if p.suspend):
        code, number, _ = peer.certs[0]
        cert = certifications.find_by_number(session, credential_code=code, number=number)
        board = Principal(subject="demo-board", role=Role.board, states=frozenset({cert.state}))
        certifications.add_action(
            session,
            principal=board,
            cert=cert,
            clock=clock,
            data=BoardActionCreate(
                kind="suspend",
                effective_on=today - timedelta(days=rng.randint(3, 40)),
                reason="Demo data: suspended pending review of a complaint",
            ),
        )
    certs = list(session.exec(select(Certification).where(col(Certification.number).like("%-D%"))))
    certifications.refresh_status(session, certs, clock=clock)


def _from(course: catalog.CourseFacts, day: date) -> date:
    """The first day from `day` on that a completion of the course can be dated (its availability)."""
    return day if course.available_from is None else max(day, course.available_from)


def _featured(session: Session, planner: Planner, rng: random.Random) -> Peer:
    """Jordan Rivera: PA-CPS due soon with gaps in both categories; NY-CRPA under way with a cap reached."""
    today = planner.today
    pa_issued = engine.add_months(today + timedelta(days=46), -24)
    ny_issued = today - timedelta(days=200)
    picks = ("APP-CORE-1", "APP-CORE-2", "ESR-PD")
    query = select(col(Course.external_id), col(Course.id)).where(col(Course.external_id).in_(picks))
    ids = {key: cid for key, cid in session.exec(query) if cid is not None}
    comps = [(ids[key], today - timedelta(days=rng.randint(10, 190))) for key in picks]
    certs = [("PA-CPS", "PA-CPS-D00001", pa_issued), ("NY-CRPA", "NY-CRPA-D00001", ny_issued)]
    return Peer("Jordan", "Rivera", certs=certs, completions=comps)


def _catalog(session: Session, admin: Principal, today: date, clock: Clock) -> None:
    """The demo providers, their booster courses and the boards' approvals, through the catalog services."""
    n = 0
    for (name, kind, region), courses in PROVIDERS.items():
        slug = name.split()[1].lower()
        provider = catalog.create_provider(
            session,
            principal=admin,
            data=ProviderCreate(name=name, kind=kind, region=region, contact_email=f"ce@{slug}.{DOMAIN}"),
        )
        manager = Principal(subject=f"demo-{slug}", role=Role.provider, provider_id=provider.id)
        for external_id, title, hours, modality, topics, approved in courses:
            data = CourseUpsert(
                external_id=external_id,
                title=f"{title} (demo course)",
                hours=hours,
                modality=modality,
                topics=topics,
                description="Demo data, not a real offering.",
                status="published",
                available_from=COURSES_FROM,
                url=AnyHttpUrl(f"https://{slug}.{DOMAIN}/courses/{external_id.lower()}"),
            )
            course, _ = catalog.upsert_course(session, principal=manager, provider=provider, today=today, data=data)
            demo_sessions.schedule(session, principal=manager, course=course, today=today, n=(n := n + 1))
            for code, categories in approved.items():
                board = Principal(subject="demo-board", role=Role.board, states=frozenset({code.split("-")[0]}))
                approvals.create(
                    session,
                    principal=board,
                    course=course,
                    clock=clock,
                    data=ApprovalCreate(credential_code=code, categories=categories),
                )


def _report(session: Session, *, created: bool, today: date) -> DemoReport:
    demo_certs = col(Certification.number).like("%-D%")
    statuses = dict(
        session.exec(
            select(Certification.status, func.count()).where(demo_certs).group_by(col(Certification.status))
        ).all()
    )
    person = session.exec(select(Person).where(Person.email == FEATURED_EMAIL)).one()
    featured = [
        (c.credential_code, c.status)
        for c in session.exec(
            select(Certification).where(Certification.person_id == person.id).order_by(col(Certification.id))
        )
    ]
    provider = session.exec(select(Provider).where(col(Provider.name).like("Demo Appalachian%"))).one()
    peers = session.exec(select(func.count()).select_from(Person).where(col(Person.email).like(f"%@{DOMAIN}"))).one()
    from app.completions.models import Completion

    completions = session.exec(
        select(func.count())
        .select_from(Completion)
        .where(col(Completion.person_id).in_(select(Person.id).where(col(Person.email).like(f"%@{DOMAIN}"))))
    ).one()
    return DemoReport(
        created=created,
        today=today,
        peers=peers,
        completions=completions,
        statuses=dict(Counter(statuses)),
        featured_person_id=id_of(person),
        featured=featured,
        board_state="PA",
        provider_id=id_of(provider),
        provider_name=provider.name,
    )


def instructions(report: DemoReport, settings: Settings, *, ttl_seconds: int = 7 * 24 * 3600) -> str:
    """What to open and what to curl, with fresh development tokens."""
    from app.auth.tokens import mint_dev_token

    base = settings.base_url.rstrip("/")
    peer = mint_dev_token(
        settings, role="peer", person_id=report.featured_person_id, subject="demo-peer", ttl_seconds=ttl_seconds
    )
    board = mint_dev_token(
        settings, role="board", states=[report.board_state], subject="demo-board", ttl_seconds=ttl_seconds
    )
    provider = mint_dev_token(
        settings, role="provider", provider_id=report.provider_id, subject="demo-provider", ttl_seconds=ttl_seconds
    )
    status_words = ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items()))
    featured = "; ".join(f"{code} {status.replace('_', ' ')}" for code, status in report.featured)
    head = "demo data loaded" if report.created else "demo data already present: nothing added"
    return "\n".join(
        [
            f"peer-ce demo: {head} ({report.peers} peers, {report.completions} completions, as of {report.today}).",
            f"Certification statuses: {status_words}.",
            "",
            f"Start the service with `peer-ce serve`, then open (tokens are valid for {ttl_seconds // 86400} days):",
            f"  Peer Jordan Rivera ({featured}):",
            f"    {base}/status#token={peer}",
            f"  Employer verification (try PA-CPS number PA-CPS-D00001):  {base}/verify",
            f"  Board of {report.board_state} dashboard (counts, trend, due list, topic demand, providers):",
            f"    {base}/board#token={board}",
            f"  API docs:  {base}/docs",
            "",
            f"Board of {report.board_state}: who is due, overdue or lapsed",
            f"  curl -H 'Authorization: Bearer {board}' '{base}/v1/certifications?status=due_soon'",
            f"  curl -H 'Authorization: Bearer {board}' '{base}/v1/flags?credential_code=PA-CPS'",
            f"Provider {report.provider_name}: its catalog and completions",
            f"  curl -H 'Authorization: Bearer {provider}' '{base}/v1/providers/{report.provider_id}/courses'",
            f"  curl -H 'Authorization: Bearer {provider}' '{base}/v1/completions?order=newest&limit=5'",
            f"  Its sessions in a calendar app:  {base}/v1/providers/{report.provider_id}/sessions.ics",
            f"The peer's own view:  curl -H 'Authorization: Bearer {peer}' '{base}/v1/me/certifications'",
        ]
    )
