"""The pure compliance evaluator: docs/compliance.md (and docs/rules.md) as code.

No database, web framework, clock or I/O: every input is an argument and the evaluation date is
`as_of`. Hours are integer hundredths inside and 2-place Decimals in the results. A rule version
is compiled once (when its `RuleVersion` is built); `evaluate` then walks the certification's
cycles from the start of its chain to the cycle current on `as_of`.

Modules, by use case (each imports nothing of the app but `app.rules.document`):

- `types`: the frozen inputs and outputs, and the errors;
- `dates`, `hours`: month arithmetic, and hours as integer hundredths;
- `compiled`: a rule set reduced to what the hot path reads, and its cycle ends;
- `cycles`: cycle bounds of a chain and the rule version in effect on a date;
- `counting`: one cycle (which completions count, caps, categories, when it was met);
- `evaluation`: `evaluate`, the walk over the cycles to a status and next_change_on;
- `explain`: plain-English reasons and per-completion outcomes.
"""

from app.rules.engine.cycles import cycle_bounds, iter_cycle_bounds, select_version
from app.rules.engine.dates import add_months
from app.rules.engine.evaluation import cycles_before, evaluate
from app.rules.engine.types import (
    Activity,
    Approval,
    BoardAction,
    CapResult,
    CategoryResult,
    CertificationFacts,
    Completion,
    CompletionOutcome,
    CredentialMismatch,
    CycleSummary,
    Evaluation,
    InvalidFact,
    MissingFact,
    ModalityMinimumResult,
    NoRuleVersions,
    OtherResult,
    Outcome,
    RecordedRenewal,
    RuleError,
    RuleVersion,
    StatedCycle,
    Status,
    UnknownVersion,
)

__all__ = [
    "Activity",
    "Approval",
    "BoardAction",
    "CapResult",
    "CategoryResult",
    "CertificationFacts",
    "Completion",
    "CompletionOutcome",
    "CredentialMismatch",
    "CycleSummary",
    "Evaluation",
    "InvalidFact",
    "MissingFact",
    "ModalityMinimumResult",
    "NoRuleVersions",
    "OtherResult",
    "Outcome",
    "RecordedRenewal",
    "RuleError",
    "RuleVersion",
    "StatedCycle",
    "Status",
    "UnknownVersion",
    "add_months",
    "cycle_bounds",
    "cycles_before",
    "evaluate",
    "iter_cycle_bounds",
    "select_version",
]
