"""Loading everything shipped under content/ at start-up and by `peer-ce load-content`."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.catalog.content import load_catalog_content
from app.db import session_scope
from app.rules.content import load_rule_sets

log = logging.getLogger("peer_ce.content")


def load_shipped_content(session_factory: sessionmaker[Session], content_dir: Path) -> dict[str, object]:
    """Load shipped content in one transaction, idempotently; changed rule files become new versions."""
    with session_scope(session_factory, write=True) as session:
        rules = load_rule_sets(session, content_dir / "rules")
        summary: dict[str, object] = {
            "rule_sets_created": rules.created,
            "rule_sets_unchanged": len(rules.unchanged),
        }
        summary.update(load_catalog_content(session, content_dir).summary())
    log.info("content loaded", extra={"fields": summary})
    return summary
