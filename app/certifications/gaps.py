"""The hours a certification still needs per required category: cached beside its status, for reports.

The CE-demand report (app.reports) adds these up per category and topic, so it never evaluates a
certification per request. They come from the same evaluation as the cached status (the sweep's, or a
write's `refresh_status`), so they are as current as the status is.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.rules import engine

OPEN = frozenset({"in_progress", "due_soon", "overdue"})  # a cycle that CE can still complete


def has_categories(versions: Sequence[engine.RuleVersion]) -> bool:
    """Whether any of a credential's rule versions requires hours in a category (else nothing to cache)."""
    return any(v.rules.requirements.categories for v in versions)


def unmet_categories(result: engine.Evaluation) -> dict[str, int] | None:
    """{category: hundredths of an hour still needed} of the evaluated cycle, or None when nothing is needed
    or CE cannot complete the cycle any more (met, lapsed, or on hold).

    `result` must carry its per-requirement results (`engine.evaluate(requirements=True)`).
    """
    if result.status not in OPEN:
        return None
    gaps = {c.category: int(c.remaining_hours.scaleb(2)) for c in result.categories if c.remaining_hours > 0}
    return gaps or None
