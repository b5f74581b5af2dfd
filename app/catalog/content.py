"""Loading the shipped topic taxonomy (content/topics.yaml) and sample catalog (content/catalog/*.yaml).

Both are idempotent. Topics follow the file: new ids are inserted, changed names and descriptions
updated, and none is ever deleted (courses and rule sets refer to them). The file is the taxonomy's
seed: admins add topics through the API (app.catalog.topics), and those are kept too. The sample catalog only adds
what is missing (providers matched by name, courses by (provider, external_id), approvals by
(course, credential)), so it never undoes a change made later through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.catalog import approvals, upserts
from app.catalog.models import Course, CourseApproval, Provider, Topic, TopicProposal
from app.catalog.schemas import ApprovalCreate, CourseUpsert, ProviderCreate, TopicId
from app.db import id_of, utcnow

CONTENT_ACTOR = "system:content"


class CatalogFileError(ValueError):
    """A shipped catalog file that cannot be read or validated; names the file and the fields."""


class _TopicEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: TopicId
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(min_length=10, max_length=1000)


class _SampleCourse(CourseUpsert):
    approvals: list[ApprovalCreate] = []


class _SampleProvider(ProviderCreate):
    courses: list[_SampleCourse] = []


class _SampleCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample: bool = Field(description="Must be true: the shipped catalog is sample data")
    available_from: date = Field(description="Default availability date of the sample courses")
    providers: list[_SampleProvider]


@dataclass
class CatalogContentReport:
    topics_created: list[str] = field(default_factory=list)
    topics_updated: list[str] = field(default_factory=list)
    providers_created: int = 0
    courses_created: int = 0
    approvals_created: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "topics_created": len(self.topics_created),
            "topics_updated": len(self.topics_updated),
            "sample_providers_created": self.providers_created,
            "sample_courses_created": self.courses_created,
            "sample_approvals_created": self.approvals_created,
        }


def _read(path: Path, model: type[BaseModel], data: Any = None) -> Any:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if data is None else data
        return model.model_validate(data)
    except yaml.YAMLError as exc:
        raise CatalogFileError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise CatalogFileError(f"{path}: {fields}") from exc


def load_catalog_content(session: Session, content_dir: Path) -> CatalogContentReport:
    """Load topics.yaml, then every content/catalog/*.yaml sample catalog, in the caller's transaction."""
    report = CatalogContentReport()
    topics_file = content_dir / "topics.yaml"
    if topics_file.exists():
        load_topics(session, topics_file, report)
    for path in sorted((content_dir / "catalog").glob("*.yaml")):
        load_sample_catalog(session, path, report)
    return report


def load_topics(session: Session, path: Path, report: CatalogContentReport) -> None:
    """Insert new topics and update changed ones; topics missing from the file are kept."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), list):
        raise CatalogFileError(f"{path}: expected a mapping with a `topics` list")
    entries = [_read(path, _TopicEntry, item) for item in raw["topics"]]
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise CatalogFileError(f"{path}: topic ids listed twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    existing = {t.id: t for t in session.exec(select(Topic))}
    for entry in entries:
        topic = existing.get(entry.id)
        if topic is None:
            session.add(Topic(**entry.model_dump()))
            report.topics_created.append(entry.id)
            audit.record(
                session,
                actor=CONTENT_ACTOR,
                action="create",
                entity="topic",
                entity_id=entry.id,
                changes={"name": [None, entry.name]},
            )
            proposal = session.get(TopicProposal, entry.id)
            if proposal is not None and proposal.status != "accepted":  # a provider asked for it first
                proposal.status, proposal.reviewed_by, proposal.reviewed_at = "accepted", CONTENT_ACTOR, utcnow()
                proposal.review_reason = "Shipped in the taxonomy (content/topics.yaml)"
                session.add(proposal)
        elif (topic.name, topic.description) != (entry.name, entry.description):
            changes = audit.diff({"name": topic.name, "description": topic.description}, entry.model_dump())
            topic.name, topic.description = entry.name, entry.description
            session.add(topic)
            report.topics_updated.append(entry.id)
            audit.record(
                session, actor=CONTENT_ACTOR, action="update", entity="topic", entity_id=entry.id, changes=changes
            )
    session.flush()


def load_sample_catalog(session: Session, path: Path, report: CatalogContentReport) -> None:
    """Add the sample providers, courses and approvals that are not there yet."""
    catalog: _SampleCatalog = _read(path, _SampleCatalog)
    if not catalog.sample:
        raise CatalogFileError(f"{path}: the shipped catalog must be marked `sample: true`")
    for entry in catalog.providers:
        provider = session.exec(select(Provider).where(Provider.name == entry.name)).first()
        if provider is None:
            fields = entry.model_dump(include=set(ProviderCreate.model_fields))
            provider = Provider(**fields)
            session.add(provider)
            session.flush()
            report.providers_created += 1
            audit.record(
                session,
                actor=CONTENT_ACTOR,
                action="create",
                entity="provider",
                entity_id=provider.id,
                changes={k: [None, v] for k, v in fields.items() if v is not None},
            )
        _add_courses(session, provider, entry.courses, catalog.available_from, report)


def _add_courses(
    session: Session, provider: Provider, courses: list[_SampleCourse], default_from: date, report: CatalogContentReport
) -> None:
    existing = set(session.exec(select(Course.external_id).where(Course.provider_id == provider.id)))
    items = [
        upserts.Item(
            row=n,
            external_id=c.external_id,
            course=c.model_copy(update={"available_from": c.available_from or default_from}),
        )
        for n, c in enumerate(courses, start=1)
        if c.external_id not in existing
    ]
    if items:
        plan = upserts.plan(session, provider_id=id_of(provider), items=items, today=default_from)
        if bad := [r for r in plan.rows if r.errors]:
            raise CatalogFileError(f"sample catalog, {provider.name}: {[(r.external_id, r.errors) for r in bad]}")
        upserts.apply(session, provider_id=id_of(provider), plan=plan, actor=CONTENT_ACTOR)
        report.courses_created += len(items)
    ids = {
        external_id: course_id
        for external_id, course_id in session.exec(
            select(Course.external_id, Course.id).where(Course.provider_id == provider.id)
        )
    }
    approved = set(
        session.exec(
            select(CourseApproval.course_id, CourseApproval.credential_code).where(
                col(CourseApproval.course_id).in_(sorted(ids.values()))
            )
        )
    )
    for course in courses:
        for approval in course.approvals:
            if (ids[course.external_id], approval.credential_code.upper()) in approved:
                continue
            row = session.get(Course, ids[course.external_id])
            approvals.grant(session, actor=CONTENT_ACTOR, course=row, data=approval)  # type: ignore[arg-type]
            report.approvals_created += 1
