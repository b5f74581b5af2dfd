"""Publishing, reading and selecting rule-set versions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Literal

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.compliance import dirty
from app.compliance.versions import parsed
from app.db import table_of
from app.errors import Conflict, NotFound, Unprocessable
from app.rules.document import RuleSet
from app.rules.engine import RuleVersion, select_version
from app.rules.models import RuleSetVersion


class CredentialNotFound(NotFound):
    pass


def content_hash(rule_set: RuleSet) -> str:
    document = rule_set.model_dump(mode="json")
    if document.get("contact") is None:  # added later: a document without one hashes as it did before
        document.pop("contact", None)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def versions_of(session: Session, code: str) -> list[RuleSetVersion]:
    """Every version of a credential, oldest first."""
    return list(
        session.exec(select(RuleSetVersion).where(RuleSetVersion.code == code).order_by(col(RuleSetVersion.version)))
    )


def all_versions(session: Session, *, state: str | None = None) -> dict[str, list[RuleSetVersion]]:
    query = select(RuleSetVersion).order_by(col(RuleSetVersion.code), col(RuleSetVersion.version))
    if state:
        query = query.where(RuleSetVersion.state == state.upper())
    grouped: dict[str, list[RuleSetVersion]] = {}
    for row in session.exec(query):
        grouped.setdefault(row.code, []).append(row)
    return grouped


def codes_by_state(session: Session) -> dict[str, list[str]]:
    """Every credential code, grouped by its state, in code order (one light query, no documents)."""
    grouped: dict[str, list[str]] = {}
    v = table_of(RuleSetVersion).c  # Core columns: no ORM statement to compile and load (the sweep reads it per run)
    for code, state in session.execute(sa_select(v.code, v.state).distinct().order_by(v.code)):
        grouped.setdefault(state, []).append(code)
    return grouped


def in_effect(versions: Sequence[RuleSetVersion], on: date) -> RuleSetVersion:
    """The stored version in effect on a date, by the engine's own rule (`engine.select_version`): latest
    effective_from on or before it (ties: newest); the earliest when none has started."""
    return select_version(versions, on)


def check_topics(session: Session, rule_set: RuleSet) -> None:
    """Categories (the rule set's and its variants') name only topics of the taxonomy: accepted ones, a
    proposal does not count yet."""
    from app.catalog.models import Topic

    where = [(f"requirements.categories.{n}", c) for n, c in enumerate(rule_set.requirements.categories)]
    where += [
        (f"variants.{v}.categories.{n}", c)
        for v, variant in enumerate(rule_set.variants)
        for n, c in enumerate(variant.categories)
    ]
    named = sorted({t for _, c in where for t in c.topics})
    if not named:
        return
    known = set(session.exec(select(Topic.id).where(col(Topic.id).in_(named))))
    errors = [
        {
            "loc": ["body", *path.split("."), "topics"],
            "field": f"body.{path}.topics",
            "type": "unknown_topic",
            "message": f"unknown topic(s): {', '.join(t for t in c.topics if t not in known)}; see GET /v1/topics",
        }
        for path, c in where
        if set(c.topics) - known
    ]
    if errors:
        raise Unprocessable(
            f"The rule set names topics that are not in the taxonomy: {', '.join(sorted(set(named) - known))}.",
            errors=errors,
        )


def publish(
    session: Session,
    *,
    rule_set: RuleSet,
    actor: str,
    origin: Literal["content", "api"],
) -> tuple[RuleSetVersion, bool]:
    """Store a rule set as the credential's next version; returns (version, created).

    Publishing the same document again is a no-op: through the API when it equals the
    latest version, from shipped content when any shipped version already has it (so an
    unchanged file never overrides a version a board published later).
    """
    existing = versions_of(session, rule_set.code)
    if existing and existing[0].state != rule_set.state:
        raise Conflict(
            f"Credential {rule_set.code} belongs to {existing[0].state}; it cannot move to {rule_set.state}."
        )
    digest = content_hash(rule_set)
    same = [v for v in existing if v.content_hash == digest]
    if origin == "content":
        same = [v for v in same if v.origin == "content"]
    elif existing and existing[-1].content_hash != digest:
        same = []
    if same:
        return same[-1], False
    row = RuleSetVersion(
        code=rule_set.code,
        version=(existing[-1].version + 1) if existing else 1,
        state=rule_set.state,
        effective_from=rule_set.effective_from,
        document=rule_set.model_dump(mode="json"),
        content_hash=digest,
        origin=origin,
        published_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(f"Another version of {rule_set.code} was published at the same time; retry.") from exc
    if existing:  # cycles already evaluated under older versions may now evaluate differently
        dirty.mark(session, credential_codes=[rule_set.code])
    audit.record(
        session,
        actor=actor,
        action="publish",
        entity="credential",
        entity_id=rule_set.code,
        state=rule_set.state,
        changes={
            "version": row.version,
            "effective_from": str(row.effective_from),
            "origin": origin,
            "content_hash": digest,
        },
    )
    return row, True


def proposed_version(session: Session, *, rule_set: RuleSet) -> RuleVersion | None:
    """The engine's version that publishing `rule_set` through the API would add (`publish`, origin "api");
    None when it is the latest version already, and publishing changes nothing."""
    existing = versions_of(session, rule_set.code)
    if existing and existing[-1].content_hash == content_hash(rule_set):
        return None
    return RuleVersion(
        version=existing[-1].version + 1 if existing else 1, effective_from=rule_set.effective_from, rules=rule_set
    )


def get_versions(session: Session, code: str) -> list[RuleSetVersion]:
    versions = versions_of(session, code.upper())
    if not versions:
        raise CredentialNotFound(f"Credential {code} was not found.")
    return versions


def engine_versions_of(session: Session, codes: Collection[str]) -> dict[str, list[RuleVersion]]:
    """The engine's versions of these credentials, oldest first, keyed by code (codes without any are absent):
    the read model's cached versions, validated by one query of their keys."""
    from app.compliance.facts import versions_of

    return versions_of(session, codes)


def engine_versions(versions: Sequence[RuleSetVersion]) -> list[RuleVersion]:
    """Rule versions as the engine takes them; parsed once per stored version (they never change)."""
    return [parsed(row.code, row.version, row.content_hash, row.effective_from, row.document) for row in versions]
