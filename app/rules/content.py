"""Loading the shipped rule sets (content/rules/*.yaml), idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from app.rules import service
from app.rules.loader import iter_content_rule_sets

CONTENT_ACTOR = "system:content"


@dataclass
class ContentReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_rule_sets(session: Session, directory: Path) -> ContentReport:
    """Publish every shipped rule set; an unchanged file publishes nothing."""
    report = ContentReport()
    for rule_set in iter_content_rule_sets(directory):
        row, created = service.publish(session, rule_set=rule_set, actor=CONTENT_ACTOR, origin="content")
        (report.created if created else report.unchanged).append(f"{row.code} v{row.version}")
    return report
