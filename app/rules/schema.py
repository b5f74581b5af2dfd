"""Transitional alias of `app.rules.document` (the rule-set document models), kept only for the pure engine's
imports (`app.rules.engine`), which another branch is editing. Everything else imports `app.rules.document`;
switch the engine's three imports and delete this module once that branch is merged."""

from app.rules.document import RuleSet

__all__ = ["RuleSet"]
