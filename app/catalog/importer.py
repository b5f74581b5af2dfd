"""Bulk upload of a provider's courses (CSV or JSON) with a per-row report; all rows or none are written.

The stages of `app.bulk`: `parse` (the rows, each validated on its own), `plan` (`upserts.plan`: against the
provider's courses and the taxonomy), `apply` (`upserts.apply`, set-based, and one audit entry for the upload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app import bulk, csvio
from app.audit import service as audit
from app.auth.principal import Principal
from app.catalog import service, upserts
from app.catalog.models import Provider
from app.catalog.schemas import CatalogImportReport, CourseUpsert, ImportRow, RowError
from app.db import id_of
from app.errors import AppError, Unprocessable

CSV_REQUIRED = ("external_id", "title", "hours", "modality", "topics")
CSV_OPTIONAL = ("description", "url", "status", "available_from")
_TOPIC_SEPARATORS = re.compile(r"[;|]")


class ImportRejected(Unprocessable):
    """Some rows are invalid: `errors` names each (row, field); nothing was written."""


def import_courses(
    session: Session,
    *,
    principal: Principal,
    provider: Provider,
    body: bytes,
    content_type: str | None,
    dry_run: bool,
    today: date,
) -> CatalogImportReport:
    """Validate every row, then write them all in the request's transaction (or, for a dry run, nothing)."""
    service.require_manager(principal, id_of(provider))
    return bulk.run(
        parse=lambda: parse(body, content_type),
        plan=lambda items: plan(session, provider=provider, items=items, today=today, dry_run=dry_run),
        apply=lambda planned: apply(session, provider=provider, planned=planned, actor=principal.actor),
        dry_run=dry_run,
    ).report


def parse(body: bytes, content_type: str | None) -> list[upserts.Item]:
    """The upload's rows as validated items (or their errors); 415 for other media types."""
    upload = bulk.read_upload(
        body,
        content_type,
        required=CSV_REQUIRED,
        optional=CSV_OPTIONAL,
        unsupported="Upload courses as text/csv or application/json.",
    )
    if upload.format == "csv":
        return [_item(number, _from_csv(raw)) for number, raw in enumerate(upload.data, start=1)]
    data = upload.data
    if not isinstance(data, list):
        raise Unprocessable(
            "A JSON upload is an array of course objects.",
            errors=[{"loc": ["body"], "field": "body", "message": "expected an array of courses", "type": "list_type"}],
        )
    if not data:
        raise Unprocessable("The upload has no courses.")
    return [_item(number, raw) for number, raw in enumerate(data, start=1)]


@dataclass
class Plan:
    """What the upload would do (`upserts.plan`), and the report of it."""

    upserts: upserts.Plan
    report: CatalogImportReport

    def refusal(self) -> AppError | None:
        if not self.report.errors:
            return None
        rows = self.upserts.rows
        return bulk.refusal(
            f"{self.report.errors} of {len(rows)} row(s) have errors; nothing was written. "
            "`errors` names each row and field; `report` has every row.",
            errors=[
                bulk.row_problem(r.row, e["message"], field=e["field"], type=e["type"])
                for r in rows
                for e in r.errors or ()
            ],
            report=self.report.model_dump(mode="json"),
            error=ImportRejected,
        )


def plan(session: Session, *, provider: Provider, items: list[upserts.Item], today: date, dry_run: bool) -> Plan:
    """Each item against the provider's courses and the taxonomy: created, updated, unchanged or its errors."""
    planned = upserts.plan(session, provider_id=id_of(provider), items=items, today=today)
    report = CatalogImportReport.of(
        [
            ImportRow(
                row=r.row,
                external_id=r.external_id,
                outcome=r.outcome,  # type: ignore[arg-type]
                course_id=r.course_id,
                changes=r.changes,
                errors=[RowError(field=e["field"], message=e["message"]) for e in r.errors] if r.errors else None,
            )
            for r in planned.rows
        ],
        dry_run=dry_run,
    )
    return Plan(upserts=planned, report=report)


def apply(session: Session, *, provider: Provider, planned: Plan, actor: str) -> None:
    """Write a plan without errors (`upserts.apply`), and audit the upload as a whole."""
    report = planned.report
    upserts.apply(session, provider_id=id_of(provider), plan=planned.upserts, actor=actor)
    for out, row in zip(report.rows, planned.upserts.rows, strict=True):
        out.course_id = row.course_id  # the new courses' ids
    audit.record(
        session,
        actor=actor,
        action="import_courses",
        entity="provider",
        entity_id=provider.id,
        changes={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )


def _from_csv(raw: dict[str, str]) -> dict[str, Any]:
    """CSV cells -> the JSON shape: empty optional cells are absent, hours a number when written as one, topics
    split on ';' or '|'."""
    out: dict[str, Any] = {k: v for k, v in raw.items() if v != "" or k in CSV_REQUIRED}
    out["hours"] = csvio.cell_decimal(raw.get("hours", ""))
    out["topics"] = [t.strip() for t in _TOPIC_SEPARATORS.split(raw.get("topics", "")) if t.strip()]
    return out


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """The first error pydantic reports for each field, as {field, message, type}."""
    out: dict[str, dict[str, str]] = {}
    for err in exc.errors(include_url=False):
        loc = err.get("loc", ())
        field = str(loc[0]) if loc else "row"
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
        message = f"{where.lstrip('.')}: {err['msg']}" if where else str(err["msg"])
        out.setdefault(field, {"field": field, "message": message, "type": err["type"]})
    return list(out.values())


def _item(number: int, raw: Any) -> upserts.Item:
    if not isinstance(raw, dict):
        return upserts.Item(
            row=number,
            external_id=None,
            errors=[{"field": "row", "message": "each course must be a JSON object", "type": "dict_type"}],
        )
    external_id = raw.get("external_id")
    external_id = external_id.strip() if isinstance(external_id, str) and external_id.strip() else None
    try:
        course = CourseUpsert.model_validate(raw)
    except ValidationError as exc:
        topics = raw.get("topics")
        topics = [t for t in topics if isinstance(t, str)] if isinstance(topics, list) else []
        return upserts.Item(row=number, external_id=external_id, errors=_field_errors(exc), topics=topics)
    return upserts.Item(row=number, external_id=course.external_id, course=course)
