"""The read model's queries: SQLAlchemy Core, built per dialect and compiled once (`app.reads`), each
selecting the fields of its typed row (`app.compliance.rows`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlmodel import col

from app.catalog.models import Course, CourseApproval, CourseApprovalCategory, CourseTopic
from app.certifications.models import BoardAction, Certification, CertificationActivity
from app.completions.models import Completion
from app.compliance.rows import (
    ActionRow,
    ActivityRow,
    ApprovalRow,
    CertRow,
    CompletionRow,
    DocumentRow,
    TopicRow,
    VersionKeyRow,
)
from app.db import table_of
from app.people.models import Person
from app.reads import AnySelect, Query, columns, in_
from app.rules.models import RuleSetVersion
from app.scheduler.models import Renewal

# --- certifications -----------------------------------------------------------------------------------


def _day_text(dialect: str, column: Any) -> Any:
    """A date as YYYY-MM-DD text, whatever the server's DateStyle."""
    if dialect == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM-DD'"), type_=String)
    return cast(column, String)


def _aggregate(dialect: str, item: Any) -> Any:
    """The comma-separated items of a group."""
    if dialect == "postgresql":
        return func.string_agg(item, literal_column("','"))
    return func.group_concat(item, literal_column("','"))


def versions_key(dialect: str, code_column: Any) -> Any:
    """A correlated subquery naming every stored version of the credential in `code_column`
    ("version:content_hash,..."): equal keys mean the same versions, so it validates the versions cache.
    Versions are never changed or removed, and a hash covers a version's whole document."""
    v = table_of(RuleSetVersion).c
    item = cast(v.version, String) + ":" + v.content_hash
    return select(_aggregate(dialect, item)).where(v.code == code_column).scalar_subquery()


def packed_renewals(dialect: str, certification_id: Any) -> Any:
    """A correlated subquery packing a certification's stored renewals into one text value
    (`RenewalRecord.unpack`), so a compliance check reads them in its one query."""
    r = table_of(Renewal).c
    bar = literal_column("'|'", String)
    item = (
        _day_text(dialect, r.cycle_start)
        + bar
        + _day_text(dialect, r.cycle_end)
        + bar
        + _day_text(dialect, r.recorded_on)
        + bar
        + case((r.source == "board", "b"), else_="s")
        + bar
        + func.coalesce(_day_text(dialect, r.reopened_on), "")
        + bar
        + cast(r.generation, String)
    )
    return select(_aggregate(dialect, item)).where(r.certification_id == certification_id).scalar_subquery()


def probe(column: Any, value: Any) -> Any:
    """EXISTS (a row whose `column` is `value`), planned as one index probe per row of the outer query.

    Without `OFFSET 0` PostgreSQL may plan a correlated EXISTS as a hashed subplan: the whole table read and hashed
    once per execution. A sweep's claim runs once per batch of 1,000 certifications, so that was a scan of every
    board action (and, in its first custom plans, of every certification activity) per batch: work that grows
    with the tables, not the batch (1,000,000 certifications: 42,560 board actions, 546,881 activities). `OFFSET
    0` is PostgreSQL's usual fence against that rewrite (it never flattens an EXISTS with an OFFSET); the answer is the
    same."""
    return select(literal_column("1")).where(column == value).offset(literal_column("0")).exists()


def cert_columns(dialect: str, *, stored: bool = True) -> list[Any]:
    """The columns of a `CertRow` (`stored`: with the stored status columns), for queries of certifications
    joined to their holder (`Person`)."""
    c = Certification
    exprs: dict[str, Any] = {
        "id": c.id,
        "person_id": c.person_id,
        "credential_code": c.credential_code,
        "state": c.state,
        "issued_on": c.issued_on,
        "birth_month": Person.birth_month,
        "birth_day": Person.birth_day,
        "cycle_option": c.cycle_option,
        "variants": c.variants,
        "rules_key": versions_key(dialect, c.credential_code),
        "has_actions": probe(col(BoardAction.certification_id), col(c.id)),
        "has_activities": probe(col(CertificationActivity.certification_id), col(c.id)),
        "renewals": packed_renewals(dialect, col(c.id)),
        "registered_cycle_start": c.registered_cycle_start,
        "registered_cycle_end": c.registered_cycle_end,
        "registered_carryover": type_coerce(c.registered_carryover_hours, Integer),
        "registered_on": c.registered_on,
    }
    if stored:
        exprs |= {
            "number": c.number,
            "status": c.status,
            "cycle_start": c.cycle_start,
            "cycle_end": c.cycle_end,
            "grace_ends_on": c.grace_ends_on,
            "next_change_on": c.next_change_on,
            "evaluated_on": c.evaluated_on,
            "dirty": c.dirty,
        }
    return columns(CertRow, exprs, prefix=not stored)


CERTIFICATIONS = Query(
    lambda d: (
        select(*cert_columns(d))
        .join(Person, col(Person.id) == col(Certification.person_id))
        .where(in_(d, Certification.id, "ids"))
        .order_by(col(Certification.id))
    ),
    row=CertRow,
)


def claim(*, full: bool) -> Query:
    """The sweep's next batch of certifications after `last_id` and up to `upto` (all, or the due ones: dirty,
    or whose `next_change_on` is on or before `horizon`), locked for its transaction."""

    def build(dialect: str) -> AnySelect:
        query = (
            select(*cert_columns(dialect))
            .join(Person, col(Person.id) == col(Certification.person_id))
            .where(col(Certification.id) > bindparam("last_id"), col(Certification.id) <= bindparam("upto"))
            .order_by(col(Certification.id))
            .limit(bindparam("n"))
        )
        if not full:
            query = query.where(
                col(Certification.dirty).is_(True) | (col(Certification.next_change_on) <= bindparam("horizon"))
            )
        return query.with_for_update(skip_locked=True, of=table_of(Certification))

    return Query(build, row=CertRow)


# --- completions ----------------------------------------------------------------------------------------

# Only what the engine reads, as plain values: a sweep batch reads tens of thousands of completions.
# Hours are the stored integer hundredths and review categories JSON text (parsed only for the few
# completions a board reviewed); each course's facts token says whether its cached facts are current.


def completion_columns(*, titles: bool = True) -> list[Any]:
    """A `CompletionRow`'s columns (outer-join Course); `titles=False`: empty titles (the sweep never shows one)."""
    c = Completion
    return columns(
        CompletionRow,
        {
            "person_id": c.person_id,
            "id": c.id,
            "course_id": c.course_id,
            "title": c.title if titles else literal_column("''"),
            "hours": type_coerce(c.hours, Integer),
            "modality": c.modality,
            "completed_on": c.completed_on,
            "status": c.status,
            "review_state": c.review_state,
            "review_categories": cast(c.review_categories, Text),
            "facts_token": Course.facts_token,
        },
    )


COMPLETIONS = Query(
    lambda d: (
        select(*completion_columns())
        .outerjoin(Course, col(Course.id) == col(Completion.course_id))
        .where(in_(d, Completion.person_id, "people"))
        .order_by(col(Completion.person_id), col(Completion.completed_on), col(Completion.id))
    ),
    row=CompletionRow,
    materialize=False,
)

# The sweep's variant: the engine without explanations never reads a completion that is not accepted,
# nor any title, so a sweep batch reads only accepted rows and no titles (empty ones instead).
ACCEPTED_COMPLETIONS = Query(
    lambda d: (
        select(*completion_columns(titles=False))
        .outerjoin(Course, col(Course.id) == col(Completion.course_id))
        .where(in_(d, Completion.person_id, "people"), col(Completion.status) == "accepted")
        .order_by(col(Completion.person_id), col(Completion.completed_on), col(Completion.id))
    ),
    row=CompletionRow,
    materialize=False,
)


def _one_with_completions(dialect: str) -> AnySelect:
    cert = (
        select(*cert_columns(dialect, stored=False))
        .join(Person, col(Person.id) == col(Certification.person_id))
        .where(col(Certification.id) == bindparam("id"))
    ).cte("cert")
    if dialect == "postgresql":
        cert = cert.prefix_with("MATERIALIZED")  # its subqueries once
    return (
        select(*cert.c, *completion_columns())
        .select_from(cert)
        .outerjoin(Completion, col(Completion.person_id) == cert.c.person_id)
        .outerjoin(Course, col(Course.id) == col(Completion.course_id))
        .order_by(col(Completion.completed_on), col(Completion.id))
    )


# The compliance check's one query: the certification's facts beside each completion of its holder (all
# null when it has none), read by `split_cert_completions`. Its SQL stays under psycopg's 4 KiB limit of
# statements whose parsing it caches (a longer one is parsed again on every call: ~80 µs).
ONE_WITH_COMPLETIONS = Query(_one_with_completions)

# --- what the per-process caches lack ---------------------------------------------------------------------

TOPICS = Query(
    lambda d: (
        select(
            *columns(
                TopicRow, {"course_id": Course.id, "facts_token": Course.facts_token, "topic": CourseTopic.topic_id}
            )
        )
        .outerjoin(CourseTopic, col(CourseTopic.course_id) == col(Course.id))
        .where(in_(d, Course.id, "ids"))
    ),
    row=TopicRow,
)
APPROVALS = Query(
    lambda d: (
        select(
            *columns(
                ApprovalRow,
                {
                    "course_id": CourseApproval.course_id,
                    "facts_token": Course.facts_token,
                    "approval_id": CourseApproval.id,
                    "credential_code": CourseApproval.credential_code,
                    "hours": type_coerce(CourseApproval.hours, Integer),
                    "valid_from": CourseApproval.valid_from,
                    "valid_until": CourseApproval.valid_until,
                    "withdrawn_on": CourseApproval.withdrawn_on,
                    "category": CourseApprovalCategory.category,
                },
            )
        )
        .join(Course, col(Course.id) == col(CourseApproval.course_id))
        .outerjoin(CourseApprovalCategory, col(CourseApprovalCategory.approval_id) == col(CourseApproval.id))
        .where(in_(d, CourseApproval.course_id, "ids"))
        .order_by(col(CourseApproval.id))
    ),
    row=ApprovalRow,
)

_CREDENTIAL = table_of(RuleSetVersion).alias("credential")
VERSION_KEYS = Query(
    lambda d: (
        select(*columns(VersionKeyRow, {"code": _CREDENTIAL.c.code, "key": versions_key(d, _CREDENTIAL.c.code)}))
        .distinct()
        .where(in_(d, _CREDENTIAL.c.code, "codes", String))
    ),
    row=VersionKeyRow,
)
DOCUMENTS = Query(
    lambda d: (
        select(
            *columns(
                DocumentRow,
                {
                    "code": RuleSetVersion.code,
                    "version": RuleSetVersion.version,
                    "effective_from": RuleSetVersion.effective_from,
                    "document": RuleSetVersion.document,
                    "content_hash": RuleSetVersion.content_hash,
                },
            )
        )
        .where(in_(d, RuleSetVersion.code, "codes", String))
        .order_by(col(RuleSetVersion.code), col(RuleSetVersion.version))
    ),
    row=DocumentRow,
)

# --- board actions and activities (of the certifications that have any) ------------------------------------

ACTIONS = Query(
    lambda d: (
        select(
            *columns(
                ActionRow,
                {
                    "certification_id": BoardAction.certification_id,
                    "kind": BoardAction.kind,
                    "effective_on": BoardAction.effective_on,
                    "cycle_start": BoardAction.cycle_start,
                },
            )
        )
        .where(in_(d, BoardAction.certification_id, "ids"), col(BoardAction.kind) != "reopen")
        .order_by(col(BoardAction.effective_on), col(BoardAction.id))
    ),
    row=ActionRow,
)
ACTIVITIES = Query(
    lambda d: (
        select(
            *columns(
                ActivityRow,
                {
                    "certification_id": CertificationActivity.certification_id,
                    "kind": CertificationActivity.kind,
                    "requirement_id": CertificationActivity.requirement_id,
                    "on": CertificationActivity.on,
                    "hours": type_coerce(CertificationActivity.hours, Integer),
                },
            )
        )
        .where(in_(d, CertificationActivity.certification_id, "ids"))
        .order_by(col(CertificationActivity.on), col(CertificationActivity.id))
    ),
    row=ActivityRow,
)
