"""Synthetic national-scale data for the benches: every US state, their credentials, a booster catalog,
people, certifications, completions and board actions.

    python -m bench.generate --scale 20000                    # certifications (people and completions derived)
    python -m bench.generate --scale 900000/1000000/15000000  # people/certifications/completions
    python -m bench.generate --scale 2000 --database-url sqlite:///var/bench.sqlite3

The schema comes from the migrations (upgrade_to_head) and the shipped content (rule sets, topics,
sample catalog) from load_shipped_content. States without a shipped credential get a synthetic one
("XX-CPS", cloned from a shipped rule set, named "(bench synthetic)"), so all 50 states and DC have
rules. Rows are then generated in Python with a seeded RNG and loaded with COPY on PostgreSQL and
executemany on SQLite, in chunks of people (bounded memory at any scale).

What the data looks like (so the engine does real work): people per state in proportion to the
state's population; about 10% hold a second credential (ICRC-PR or another of their state's);
issue dates over 14 years, skewed to recent ones; per certification a number of completions in
proportion to the years it has been active, the credential's yearly hours and the holder's
diligence (most keep up, some fall behind, some stop: every status occurs); completions of catalog
courses (in person, live virtual, self-paced), three quarters of them approved for the holder's
credential; a few voided; some outside CE self-reported, pending, accepted or rejected by the
board; the non-CE requirements of rule sets that have them (attestations, service or supervision
hours) recorded as certification activities, cycle by cycle, by most holders; 2-4% of
certifications with board actions (suspensions, reinstatements, revocations).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.sample_names import FAMILY, GIVEN
from bench.common import BENCH_DATABASE, DEFAULT_SERVER_URL, log, only_loopback, recreate_database

# state -> (population in millions, board time zone)
STATES: dict[str, tuple[float, str]] = {
    "AL": (5.0, "America/Chicago"),
    "AK": (0.7, "America/Anchorage"),
    "AZ": (7.2, "America/Phoenix"),
    "AR": (3.0, "America/Chicago"),
    "CA": (39.5, "America/Los_Angeles"),
    "CO": (5.8, "America/Denver"),
    "CT": (3.6, "America/New_York"),
    "DE": (1.0, "America/New_York"),
    "DC": (0.7, "America/New_York"),
    "FL": (21.5, "America/New_York"),
    "GA": (10.7, "America/New_York"),
    "HI": (1.5, "Pacific/Honolulu"),
    "ID": (1.8, "America/Boise"),
    "IL": (12.8, "America/Chicago"),
    "IN": (6.8, "America/Indiana/Indianapolis"),
    "IA": (3.2, "America/Chicago"),
    "KS": (2.9, "America/Chicago"),
    "KY": (4.5, "America/New_York"),
    "LA": (4.7, "America/Chicago"),
    "ME": (1.4, "America/New_York"),
    "MD": (6.2, "America/New_York"),
    "MA": (7.0, "America/New_York"),
    "MI": (10.1, "America/Detroit"),
    "MN": (5.7, "America/Chicago"),
    "MS": (3.0, "America/Chicago"),
    "MO": (6.2, "America/Chicago"),
    "MT": (1.1, "America/Denver"),
    "NE": (2.0, "America/Chicago"),
    "NV": (3.1, "America/Los_Angeles"),
    "NH": (1.4, "America/New_York"),
    "NJ": (9.3, "America/New_York"),
    "NM": (2.1, "America/Denver"),
    "NY": (20.2, "America/New_York"),
    "NC": (10.4, "America/New_York"),
    "ND": (0.8, "America/Chicago"),
    "OH": (11.8, "America/New_York"),
    "OK": (4.0, "America/Chicago"),
    "OR": (4.2, "America/Los_Angeles"),
    "PA": (13.0, "America/New_York"),
    "RI": (1.1, "America/New_York"),
    "SC": (5.1, "America/New_York"),
    "SD": (0.9, "America/Chicago"),
    "TN": (6.9, "America/Chicago"),
    "TX": (29.1, "America/Chicago"),
    "UT": (3.3, "America/Denver"),
    "VT": (0.6, "America/New_York"),
    "VA": (8.6, "America/New_York"),
    "WA": (7.7, "America/Los_Angeles"),
    "WV": (1.8, "America/New_York"),
    "WI": (5.9, "America/Chicago"),
    "WY": (0.6, "America/Denver"),
}
# Where a state has several credentials, the share of each (others: equal shares).
CREDENTIAL_SHARES = {
    "GA-CPS-MH": 0.7,
    "GA-CPS-AD": 0.3,
    "PA-CPS": 0.75,
    "PA-CRS": 0.25,
    "KY-APSS": 0.5,
    "KY-FPSS": 0.25,
    "KY-RADPSS": 0.25,
}
NATIONAL = "ICRC-PR"
SECOND_CERT_NATIONAL_SHARE = 0.5
MODALITIES = (("in_person", 0.35), ("live_virtual", 0.40), ("self_paced", 0.25))
PROVIDER_KINDS = ("attc_region", "training_center", "peer_run_organization", "university", "state_agency", "other")
TITLE_WORDS = {
    "peer-support-core": "Peer support core skills",
    "recovery-oriented-practice": "Recovery-oriented practice",
    "mental-health-substance-use": "Mental health and substance use",
    "co-occurring-disorders": "Co-occurring conditions",
    "trauma-informed-practice": "Trauma-informed peer support",
    "cultural-competence": "Cultural humility",
    "lgbtq-affirming-support": "LGBTQ+ affirming support",
    "suicide-prevention": "Suicide prevention",
    "harm-reduction": "Harm reduction",
    "crisis-support": "Crisis support",
    "ethics-and-boundaries": "Peer ethics",
    "self-disclosure": "Self-disclosure",
    "supervision": "Supervision",
    "documentation": "Documentation",
    "whole-health-wellness": "Whole health",
    "transition-age-youth": "Transition-age youth",
    "medication-supported-recovery": "Medication-supported recovery",
    "system-navigation": "System navigation",
    "human-trafficking": "Human trafficking awareness",
    "health-equity": "Health equity",
    "law-and-ethics": "Law and ethics",
}
EPOCH = datetime(2010, 1, 1, tzinfo=UTC)
BENCH_ACTOR = "bench:generate"
PEOPLE_PER_CHUNK = 10_000


@dataclass
class Scale:
    people: int
    certifications: int
    completions: int

    @classmethod
    def parse(cls, value: str) -> Scale:
        parts = [int(p.replace("_", "")) for p in value.split("/")]
        if len(parts) == 1:
            certs = parts[0]
            return cls(people=max(1, round(certs / 1.1)), certifications=certs, completions=certs * 15)
        if len(parts) == 3:
            people, certs, completions = parts
            if not 0 < people <= certs <= 2 * people:
                raise argparse.ArgumentTypeError("need people <= certifications <= 2 x people")
            return cls(people=people, certifications=certs, completions=completions)
        raise argparse.ArgumentTypeError("--scale is CERTIFICATIONS or PEOPLE/CERTIFICATIONS/COMPLETIONS")

    def label(self) -> str:
        return f"{self.people}/{self.certifications}/{self.completions}"


@dataclass
class Credential:
    code: str
    state: str
    yearly_hours: float
    approved_only: bool
    categories: list[tuple[str, frozenset[str]]]  # (slug, topics)
    birthday: bool
    rules: Any = None
    total_hours: int = 0  # hundredths
    minimums: list[tuple[str, int]] = field(default_factory=list)  # (category, hundredths)
    approved_courses: list[int] = field(default_factory=list)
    category_courses: dict[str, list[int]] = field(default_factory=dict)
    old_courses: list[int] = field(default_factory=list)  # approved, available since 2012
    other: list[tuple[str, str, int | None]] = field(default_factory=list)  # (requirement id, kind, hundredths)
    option: str | None = None  # the cycle option every holder chooses, when the rules offer some
    initial: list[tuple[str, str, int | None]] = field(default_factory=list)  # an initial phase's requirements

    def cycles(self, issued: date, birth_md: tuple[int, int]) -> Any:
        from app.rules.engine import iter_cycle_bounds

        return iter_cycle_bounds(self.rules, issued, birth_month_day=birth_md)


@dataclass
class CourseRow:
    id: int
    provider_name: str
    title: str
    hours: int  # hundredths
    modality: str
    available_from: date


# --- content: shipped rules, synthetic credentials for the other states -------------------------------


def publish_synthetic_credentials(session: Session, content_dir: Path) -> list[str]:
    """One synthetic credential for each state (and DC) without a shipped rule set."""
    from app.rules import service as rules_service
    from app.rules.loader import iter_content_rule_sets

    shipped = sorted(iter_content_rule_sets(content_dir / "rules"), key=lambda rs: rs.code)
    covered = {rs.state for rs in shipped}
    # plain templates: no per-certification choices, initial phase or successors
    templates = [
        rs for rs in shipped if rs.state != "US" and not (rs.cycle_options or rs.initial_period or rs.superseded_by)
    ]
    created = []
    for i, (state, (_pop, tz)) in enumerate(sorted(STATES.items())):
        if state in covered:
            continue
        template = templates[i % len(templates)]
        doc = template.model_dump(mode="python")
        doc.update(
            code=f"{state}-CPS",
            state=state,
            timezone=tz,
            name="Certified Peer Specialist (bench synthetic)",
            body=f"Bench synthetic board for {state}: rules cloned from {template.code}, not real rules",
            sources=[
                {
                    "id": "bench",
                    "title": f"bench/generate.py (clone of {template.code})",
                    "note": "Synthetic, for benchmarks only.",
                }
            ],
            figure_sources={},
            notes="Synthetic, for benchmarks only.",
        )
        rule_set = type(template).model_validate(doc)
        rules_service.publish(session, rule_set=rule_set, actor=BENCH_ACTOR, origin="api")
        created.append(rule_set.code)
    return created


def load_credentials(session: Session) -> dict[str, Credential]:
    from app.rules import service as rules_service

    out = {}
    for code, versions in rules_service.all_versions(session).items():
        rules = rules_service.engine_versions(versions)[-1].rules
        option = rules.cycle_options[0] if rules.cycle_options else None
        if option is not None:  # every holder chooses the first option: the rules as it shapes them
            rules = rules.model_copy(
                update={
                    "cycle": rules.cycle.model_copy(update={"months": option.months}),
                    "requirements": rules.requirements.model_copy(update={"total_hours": option.total_hours}),
                }
            )
        years = rules.cycle.months / 12
        categories = [(c.category, frozenset(c.topics)) for c in rules.requirements.categories]
        categories += [(c.category, frozenset()) for c in rules.caps if c.category]
        out[code] = Credential(
            code=code,
            state=rules.state,
            yearly_hours=float(rules.requirements.total_hours) / years,
            approved_only=rules.approved_only,
            categories=categories,
            birthday=rules.cycle.anchor == "birthday",
            rules=rules,
            total_hours=int(rules.requirements.total_hours * 100),
            minimums=[(c.category, int(c.min_hours * 100)) for c in rules.requirements.categories],
            other=[(o.id, o.kind, None if o.hours is None else int(o.hours * 100)) for o in rules.requirements.other],
            option=option.id if option else None,
            initial=[
                (o.id, o.kind, None if o.hours is None else int(o.hours * 100))
                for o in (rules.initial_period.requirements if rules.initial_period else ())
            ],
        )
    return out


def credentials_by_state(credentials: dict[str, Credential]) -> dict[str, list[tuple[str, float]]]:
    grouped: dict[str, list[str]] = {}
    for cred in credentials.values():
        if cred.rules is not None and cred.rules.superseded_by:
            continue  # no new certification is registered on a superseded credential
        grouped.setdefault(cred.state, []).append(cred.code)
    out = {}
    for state, codes in grouped.items():
        codes.sort()
        shares = [CREDENTIAL_SHARES.get(c, 1 / len(codes)) for c in codes]
        total = sum(shares)
        out[state] = [(c, s / total) for c, s in zip(codes, shares, strict=True)]
    return out


def topic_ids(content_dir: Path) -> list[str]:
    data = yaml.safe_load((content_dir / "topics.yaml").read_text())
    return [t["id"] for t in data["topics"]]


# --- writers: COPY on PostgreSQL, executemany on SQLite ----------------------------------------------


class Writer:
    """Bulk rows into tables in the current transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.connection = engine.raw_connection()
        self.rows: dict[str, int] = {}

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.connection.cursor()
        n = 0
        try:
            if self.postgres:
                cols = ", ".join(columns)
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            else:
                marks = ", ".join("?" for _ in columns)
                batch = [tuple(_sqlite_value(v) for v in row) for row in rows]
                if not self.connection.in_transaction:  # type: ignore[attr-defined]
                    cursor.execute("BEGIN")  # the app's engine leaves pysqlite in autocommit
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
                n = len(batch)
        finally:
            cursor.close()
        self.rows[table] = self.rows.get(table, 0) + n

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


# --- the generator -----------------------------------------------------------------------------------


class Generator:
    def __init__(self, engine: Engine, scale: Scale, *, seed: int, content_dir: Path, today: date) -> None:
        self.engine = engine
        self.scale = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.content_dir = content_dir
        self.today = today
        self.now = datetime.now(UTC)
        self.counts: dict[str, int] = {}

    # catalog ------------------------------------------------------------------------------------------

    def catalog(self, writer: Writer, credentials: dict[str, Credential], topics: list[str]) -> list[CourseRow]:
        rng = self.rng
        with self.engine.connect() as conn:
            course_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM course")).scalar() or 0
            provider_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM provider")).scalar() or 0
            approval_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM course_approval")).scalar() or 0
            shipped = conn.execute(
                text(
                    "SELECT c.id, p.name, c.title, c.hours, c.modality, c.available_from FROM course c "
                    "JOIN provider p ON p.id = c.provider_id ORDER BY c.id"
                )
            ).all()
            shipped_approvals = conn.execute(text("SELECT course_id, credential_code FROM course_approval")).all()
        courses = [
            CourseRow(
                cid,
                pname,
                title,
                hours,
                modality,
                available_from if isinstance(available_from, date) else date.fromisoformat(available_from),
            )
            for cid, pname, title, hours, modality, available_from in shipped
        ]
        for cid, code in shipped_approvals:
            if code in credentials:
                credentials[code].approved_courses.append(cid)

        n_providers = min(400, max(20, self.scale.certifications // 2500))
        states = list(STATES)
        weights = [STATES[s][0] for s in states]
        by_state: dict[str, list[str]] = {}
        for cred in credentials.values():
            by_state.setdefault(cred.state, []).append(cred.code)
        providers, course_rows, topic_rows, approval_rows, category_rows = [], [], [], [], []
        for p in range(n_providers):
            provider_id += 1
            kind = PROVIDER_KINDS[p % len(PROVIDER_KINDS)]
            region = sorted(set(rng.choices(states, weights=weights, k=rng.randint(1, 4))))
            name = f"Bench provider {p + 1:04d} ({'/'.join(region)}) (synthetic)"
            providers.append(
                (provider_id, name, kind, "/".join(region), f"ce{p + 1}@bench.example.org", self.now, self.now)
            )
            for k in range(rng.randint(12, 28)):
                course_id += 1
                course_topics = rng.sample(topics, k=1 if rng.random() < 0.7 else 2)
                hours = rng.choice((100, 150, 200, 200, 300, 300, 300, 400, 600, 600, 800))
                modality = _weighted(rng, MODALITIES)
                available = (
                    EPOCH.date() + timedelta(days=rng.randint(0, 5 * 365))
                    if rng.random() < 0.7
                    else EPOCH.date() + timedelta(days=rng.randint(0, (self.today - EPOCH.date()).days - 30))
                )
                title = f"{TITLE_WORDS.get(course_topics[0], course_topics[0])} booster {k + 1} (synthetic)"
                status = "retired" if rng.random() < 0.05 else "published"
                course_rows.append(
                    (
                        course_id,
                        provider_id,
                        f"BENCH-{p + 1}-{k + 1}",
                        title,
                        "Synthetic course for benchmarks.",
                        hours,
                        modality,
                        None,
                        status,
                        available,
                        self.now,
                        self.now,
                        f"bench{course_id:027d}",
                    )
                )
                courses.append(CourseRow(course_id, name, title, hours, modality, available))
                for t in course_topics:
                    topic_rows.append((course_id, t))
                codes = [c for s in region for c in by_state.get(s, []) if rng.random() < 0.7]
                if rng.random() < 0.3:
                    codes.append(NATIONAL)
                for code in sorted(set(codes)):
                    cred = credentials[code]
                    approval_id += 1
                    withdrawn = self.today - timedelta(days=rng.randint(1, 700)) if rng.random() < 0.02 else None
                    approval_rows.append(
                        (
                            approval_id,
                            course_id,
                            code,
                            cred.state,
                            None,
                            None,
                            None,
                            withdrawn,
                            "withdrawn by the board (synthetic)" if withdrawn else None,
                            f"board:{cred.state.lower()}-bench",
                            "board:bench" if withdrawn else None,
                            self.now,
                        )
                    )
                    if withdrawn is None:
                        cred.approved_courses.append(course_id)
                    for slug, cat_topics in cred.categories:
                        if (
                            (cat_topics & set(course_topics))
                            or any(w in t for t in course_topics for w in slug.split("-") if len(w) > 4)
                            or (not cat_topics and rng.random() < 0.1)
                        ):
                            category_rows.append((approval_id, slug))
                            if withdrawn is None:
                                cred.category_courses.setdefault(slug, []).append(course_id)
                if status == "published":
                    for cred in credentials.values():
                        if cred.approved_only:
                            continue
                        for slug, cat_topics in cred.categories:
                            if cat_topics & set(course_topics):
                                cred.category_courses.setdefault(slug, []).append(course_id)
        by_id = {c.id: c for c in courses}
        for cred in credentials.values():
            cred.old_courses = [c for c in cred.approved_courses if by_id[c].available_from <= date(2012, 1, 1)]
        writer.write(
            "provider", ("id", "name", "kind", "region", "contact_email", "created_at", "updated_at"), providers
        )
        writer.write(
            "course",
            (
                "id",
                "provider_id",
                "external_id",
                "title",
                "description",
                "hours",
                "modality",
                "url",
                "status",
                "available_from",
                "created_at",
                "updated_at",
                "facts_token",
            ),
            course_rows,
        )
        writer.write("course_topic", ("course_id", "topic_id"), topic_rows)
        writer.write(
            "course_approval",
            (
                "id",
                "course_id",
                "credential_code",
                "state",
                "hours",
                "valid_from",
                "valid_until",
                "withdrawn_on",
                "withdrawal_reason",
                "approved_by",
                "withdrawn_by",
                "created_at",
            ),
            approval_rows,
        )
        writer.write("course_approval_category", ("approval_id", "category"), category_rows)
        return courses

    # people, certifications, completions --------------------------------------------------------------

    def _issue_date(self) -> date:
        rng = self.rng
        days = int(min(rng.expovariate(1 / (3.5 * 365)), 14 * 365))
        return self.today - timedelta(days=max(days, 20))

    def _multiplier(self, credentials: dict[str, Credential], courses: list[CourseRow]) -> float:
        """How much CE beyond the requirements holders do, so the total comes near the target."""
        saved = self.rng
        self.rng = random.Random(self.seed + 1)
        creds = list(credentials.values())
        course_by_id = {c.id: c for c in courses}
        any_course = [c.id for c in courses if c.available_from <= date(2012, 1, 1)] or [courses[0].id]
        sink: list = []
        n = 1000
        for i in range(n):
            self._completions(
                sink,
                i,
                self.rng.choice(creds),
                self._issue_date(),
                (6, 15),
                1.0,
                set(),
                course_by_id,
                any_course,
                [c.id for c in courses],
            )
        self.rng = saved
        natural = len(sink) / n
        return (self.scale.completions / self.scale.certifications) / max(natural, 0.1)

    def people(self, writer: Writer, credentials: dict[str, Credential], courses: list[CourseRow]) -> None:
        rng = self.rng
        scale = self.scale
        rate = self._multiplier(credentials, courses)
        log(f"  CE beyond requirements: x{rate:.2f}")
        states = list(STATES)
        weights = [STATES[s][0] for s in states]
        creds_by_state = credentials_by_state(credentials)
        second_p = (scale.certifications - scale.people) / scale.people
        cert_id = 0
        action_id = 0
        course_by_id = {c.id: c for c in courses}
        any_course = [c.id for c in courses if c.available_from <= date(2012, 1, 1)] or [courses[0].id]
        all_ids = [c.id for c in courses]
        remaining_certs = scale.certifications
        for chunk_start in range(0, scale.people, PEOPLE_PER_CHUNK):
            people, certs, actions, completions, activities = [], [], [], [], []
            chunk_end = min(scale.people, chunk_start + PEOPLE_PER_CHUNK)
            for pid in range(chunk_start + 1, chunk_end + 1):
                state = rng.choices(states, weights=weights)[0]
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                birth_md = (rng.randint(1, 12), rng.randint(1, 28))
                people.append(
                    (
                        pid,
                        given,
                        family,
                        f"peer{pid}@bench.example.org",
                        f"BENCH-{pid}",
                        *birth_md,
                        state,
                        self.now,
                        self.now,
                    )
                )
                people_left = scale.people - pid
                can_double = remaining_certs - 2 >= people_left
                must_double = remaining_certs - 1 > 2 * people_left
                codes = [_weighted(rng, creds_by_state[state])]
                if can_double and (must_double or rng.random() < second_p):
                    others = [c for c, _ in creds_by_state[state] if c != codes[0]]
                    codes.append(
                        NATIONAL if (rng.random() < SECOND_CERT_NATIONAL_SHARE or not others) else rng.choice(others)
                    )
                remaining_certs -= len(codes)
                seen: set[tuple[int, date]] = set()
                for code in codes:
                    cred = credentials[code]
                    cert_id += 1
                    issued = self._issue_date()
                    certs.append(
                        (
                            cert_id,
                            pid,
                            code,
                            cred.state,
                            f"{code}-{cert_id:07d}",
                            issued,
                            cred.option,
                            "in_progress",
                            True,
                            1,
                            self.now,
                            self.now,
                        )
                    )
                    for requirement_id, kind, hundredths in cred.initial:  # registered at the end of the phase
                        activities.append(
                            (
                                cert_id,
                                requirement_id,
                                kind,
                                issued,
                                hundredths,
                                "Initial certification requirement met (synthetic)",
                                f"board:{cred.state.lower()}-bench",
                                _evening(issued),
                            )
                        )
                    action_id = self._actions(actions, action_id, cert_id, issued)
                    self._completions(
                        completions,
                        pid,
                        cred,
                        issued,
                        birth_md,
                        rate,
                        seen,
                        course_by_id,
                        any_course,
                        all_ids,
                        activities=activities,
                        cert_id=cert_id,
                    )
            writer.write(
                "person",
                (
                    "id",
                    "given_name",
                    "family_name",
                    "email",
                    "external_ref",
                    "birth_month",
                    "birth_day",
                    "registered_by_state",
                    "created_at",
                    "updated_at",
                ),
                people,
            )
            writer.write(
                "certification",
                (
                    "id",
                    "person_id",
                    "credential_code",
                    "state",
                    "number",
                    "issued_on",
                    "cycle_option",
                    "status",
                    "dirty",
                    "row_version",
                    "created_at",
                    "updated_at",
                ),
                certs,
            )
            writer.write(
                "board_action",
                ("id", "certification_id", "kind", "effective_on", "reason", "actor", "created_at"),
                actions,
            )
            writer.write("completion", COMPLETION_COLUMNS, completions)
            writer.write("certification_activity", ACTIVITY_COLUMNS, activities)
            writer.commit()
            if chunk_end % (PEOPLE_PER_CHUNK * 10) == 0 or chunk_end == scale.people:
                log(f"  generated {chunk_end}/{scale.people} people, {writer.rows.get('completion', 0)} completions")

    def _actions(self, actions: list, action_id: int, cert_id: int, issued: date) -> int:
        rng = self.rng
        span = (self.today - issued).days
        if span < 60:
            return action_id
        roll = rng.random()
        if roll < 0.02:
            on = issued + timedelta(days=rng.randint(30, span - 1))
            action_id += 1
            actions.append(
                (action_id, cert_id, "suspend", on, "Suspended pending review (synthetic)", "board:bench", self.now)
            )
            if rng.random() < 0.5 and (self.today - on).days > 30:
                action_id += 1
                back = on + timedelta(days=rng.randint(14, (self.today - on).days))
                actions.append(
                    (action_id, cert_id, "reinstate", back, "Reinstated (synthetic)", "board:bench", self.now)
                )
        elif roll < 0.025:
            action_id += 1
            actions.append(
                (
                    action_id,
                    cert_id,
                    "revoke",
                    issued + timedelta(days=rng.randint(30, span - 1)),
                    "Revoked (synthetic)",
                    "board:bench",
                    self.now,
                )
            )
        elif roll < 0.035:
            action_id += 1
            actions.append(
                (
                    action_id,
                    cert_id,
                    "inactivate",
                    issued + timedelta(days=rng.randint(30, span - 1)),
                    "Inactive at the holder's request (synthetic)",
                    "board:bench",
                    self.now,
                )
            )
        return action_id

    def _completions(
        self,
        out: list,
        pid: int,
        cred: Credential,
        issued: date,
        birth_md: tuple[int, int],
        multiplier: float,
        seen: set[tuple[int, date]],
        course_by_id: dict[int, CourseRow],
        any_course: list[int],
        all_ids: list[int],
        *,
        activities: list | None = None,
        cert_id: int = 0,
    ) -> None:
        """CE cycle by cycle: most holders meet each cycle, some fall short, some stop altogether; with
        `activities`, the rules' non-CE requirements too (attestations, service or supervision hours)."""
        rng = self.rng
        kind = rng.random()
        keeps_up = kind < 0.82 or kind >= 0.92  # those who stop keep up until they stop
        last = self.today - timedelta(days=1)
        low, high = (1.15, 1.5) if kind < 0.82 else (0.6, 1.1)
        if kind >= 0.92:  # stopped: no CE after some point, so the certification lapses
            low, high = 1.15, 1.5
            last = issued + timedelta(days=int((last - issued).days * rng.uniform(0.2, 0.9)))
        approved = cred.approved_courses or all_ids
        for start, end in cred.cycles(issued, birth_md):
            if start > last:
                break
            until = min(end, last)
            days = (until - start).days
            if days < 1:
                continue
            share = rng.uniform(low, high) * multiplier
            if end > last:  # the current cycle: CE so far, some ahead, some behind
                share *= days / max((end - start).days, 1) * rng.uniform(0.5, 1.5)
            picks: list[int] = []
            for slug, minimum in cred.minimums:
                pool = cred.category_courses.get(slug)
                got = 0
                while pool and got < minimum * share:
                    cid = rng.choice(pool)
                    picks.append(cid)
                    got += course_by_id[cid].hours
            if cred.other and activities is not None:
                done = 1.0 if end <= last else days / max((end - start).days, 1)
                self._activities(activities, pid, cert_id, cred, start, days, (0.97 if keeps_up else 0.6) * done)
            hours = sum(course_by_id[c].hours for c in picks)
            while hours < cred.total_hours * share:
                cid = rng.choice(approved if (cred.approved_only or rng.random() < 0.75) else all_ids)
                picks.append(cid)
                hours += course_by_id[cid].hours
            for cid in picks:
                on = start + timedelta(days=rng.randint(0, days))
                if rng.random() < 0.04:
                    self._outside(out, pid, cred, on)
                    continue
                course = course_by_id[cid]
                if course.available_from > on:  # not offered yet: the holder took an older one
                    course = course_by_id[rng.choice(cred.old_courses or any_course)]
                if (course.id, on) in seen:
                    continue
                seen.add((course.id, on))
                voided = rng.random() < 0.02
                source = "provider" if rng.random() < 0.8 else ("board" if rng.random() < 0.5 else "admin")
                created = _evening(on)
                out.append(
                    (
                        pid,
                        course.id,
                        course.title,
                        course.provider_name,
                        course.hours,
                        course.modality,
                        on,
                        "voided" if voided else "accepted",
                        source,
                        None,
                        None if voided else f"{pid}:{course.id}:{on.isoformat()}",
                        f"{source}:bench",
                        None,
                        "[]",
                        None,
                        None,
                        None,
                        "Recorded in error (synthetic)" if voided else None,
                        "admin:bench" if voided else None,
                        self.now if voided else None,
                        created,
                    )
                )

    def _activities(
        self, out: list, pid: int, cert_id: int, cred: Credential, start: date, days: int, likelihood: float
    ) -> None:
        """One cycle's non-CE requirements, each met with this likelihood: an attestation signed by the
        holder, or service or supervision hours recorded by the board in one to four entries."""
        rng = self.rng
        for requirement_id, kind, hundredths in cred.other:
            if rng.random() >= likelihood:
                continue
            if hundredths is None:  # an attestation
                on = start + timedelta(days=rng.randint(0, days))
                out.append((cert_id, requirement_id, kind, on, None, None, f"peer:bench-{pid}", _evening(on)))
                continue
            entries = rng.randint(1, 4)
            each = -(-int(hundredths * rng.uniform(1.0, 1.3)) // entries)
            for _ in range(entries):
                on = start + timedelta(days=rng.randint(0, days))
                out.append(
                    (
                        cert_id,
                        requirement_id,
                        kind,
                        on,
                        each,
                        "Logged hours (synthetic)",
                        f"board:{cred.state.lower()}-bench",
                        _evening(on),
                    )
                )

    def _outside(self, out: list, pid: int, cred: Credential, on: date) -> None:
        rng = self.rng
        roll = rng.random()
        status = "pending" if roll < 0.4 else ("accepted" if roll < 0.85 else "rejected")
        reviewed = status != "pending"
        categories = [rng.choice(cred.categories)[0]] if reviewed and cred.categories and rng.random() < 0.3 else []
        created = datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(days=2)
        out.append(
            (
                pid,
                None,
                "Outside training (synthetic)",
                "Outside organisation (synthetic)",
                rng.choice((100, 200, 300, 400, 600)),
                _weighted(rng, MODALITIES),
                on,
                status,
                "self_report",
                "https://evidence.bench.example.org/certificate.pdf",
                None,
                f"peer:bench-{pid}",
                cred.state if reviewed else None,
                json.dumps(categories),
                "Not peer-support related (synthetic)" if status == "rejected" else None,
                f"board:{cred.state.lower()}-bench" if reviewed else None,
                created + timedelta(days=5) if reviewed else None,
                None,
                None,
                None,
                created,
            )
        )


COMPLETION_COLUMNS = (
    "person_id",
    "course_id",
    "title",
    "provider_name",
    "hours",
    "modality",
    "completed_on",
    "status",
    "source",
    "evidence_url",
    "dedupe_key",
    "reported_by",
    "review_state",
    "review_categories",
    "review_reason",
    "reviewed_by",
    "reviewed_at",
    "void_reason",
    "voided_by",
    "voided_at",
    "created_at",
)


ACTIVITY_COLUMNS = ("certification_id", "requirement_id", "kind", '"on"', "hours", "note", "recorded_by", "created_at")


def _evening(on: date) -> datetime:
    return datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    roll = rng.random() * sum(w for _, w in items)
    for value, weight in items:
        roll -= weight
        if roll < 0:
            return value
    return items[-1][0]


def _finish(engine: Engine) -> None:
    """Sequences past the explicit ids, and fresh planner statistics."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in (
                "provider",
                "course",
                "course_approval",
                "person",
                "certification",
                "board_action",
                "completion",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def generate(db_url: str, scale: Scale, *, seed: int = 7, data_dir: Path | None = None) -> dict[str, Any]:
    """Migrate an empty database, load the shipped content, then the synthetic population."""
    from app.content import load_shipped_content
    from app.db import make_engine, session_scope
    from app.migrate import upgrade_to_head
    from bench.common import settings_for

    started = time.perf_counter()
    settings = settings_for(db_url, data_dir or Path("bench/results/data"))
    engine = make_engine(settings)
    factory = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)
    upgrade_to_head(engine)
    load_shipped_content(factory, settings.content_dir)
    with session_scope(factory) as session:
        synthetic = publish_synthetic_credentials(session, settings.content_dir)
    with session_scope(factory) as session:
        credentials = load_credentials(session)
    gen = Generator(engine, scale, seed=seed, content_dir=settings.content_dir, today=datetime.now(UTC).date())
    writer = Writer(engine)
    try:
        courses = gen.catalog(writer, credentials, topic_ids(settings.content_dir))
        writer.commit()
        gen.people(writer, credentials, courses)
        writer.commit()
    finally:
        writer.close()
    loaded = time.perf_counter() - started
    _finish(engine)
    engine.dispose()
    return {
        "scale": scale.label(),
        "seed": seed,
        "credentials": len(credentials),
        "synthetic_credentials": len(synthetic),
        "rows": writer.rows,
        "load_seconds": round(loaded, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "method": "COPY" if engine.dialect.name == "postgresql" else "executemany",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=Scale.parse,
        default=Scale.parse("20000"),
        help="CERTIFICATIONS, or PEOPLE/CERTIFICATIONS/COMPLETIONS (default 20000)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--server-url", default=DEFAULT_SERVER_URL, help="PostgreSQL server (a peer_ce_bench database is created on it)"
    )
    parser.add_argument("--database", default=BENCH_DATABASE, help="name of the throwaway database")
    parser.add_argument("--database-url", help="use this (empty) database instead, e.g. sqlite:///var/bench.sqlite3")
    args = parser.parse_args(argv)
    if args.database_url:
        url = args.database_url
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            if path.exists():
                path.unlink()
            path.parent.mkdir(parents=True, exist_ok=True)
    else:
        only_loopback(args.server_url)
        url = recreate_database(args.server_url, args.database)
    only_loopback(url)
    log(f"generating {args.scale.label()} (people/certifications/completions) into {url}")
    summary = generate(url, args.scale, seed=args.seed)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
