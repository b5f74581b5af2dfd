"""The rules of a rule set's document that relate its fields (the validators of `app.rules.document`), stated
as JSON Schema for its models' `json_schema_extra`, so that content/rules/schema.json and the OpenAPI
document say what `PUT /v1/credentials/{code}` checks.

Plain `anyOf` alternatives, no `if`/`then`: every generator reads them. Each sits in an `allOf` (`_either`):
a client generator (openapi-python-client) turns a model's top-level `anyOf` into a union of partial models,
and keeps one model when the alternatives are a further condition on it. A field given as null or left out
counts as not given, as the validators read it. What still only the validators check: ids listed twice in a
list of objects, `figure_sources` keys naming figures of this rule set and citing its sources, successor codes
other than the rule set's own, whole years for the cycle options of a calendar anchor, and the time zone.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def _either(*branches: dict[str, Any]) -> dict[str, Any]:
    """A model's own properties, and one of these alternatives besides."""
    return {"allOf": [{"anyOf": list(branches)}]}


_NO_FIXED_DATE = {"month": _NULL, "day": _NULL, "year": _NULL}

# Days of the month a fixed cycle end may name (February 29 means February 28 in other years).
_MONTH_DAYS: list[dict[str, Any]] = [
    {"properties": {"month": {"enum": [1, 3, 5, 7, 8, 10, 12]}}},
    {"properties": {"month": {"enum": [4, 6, 9, 11]}, "day": {"maximum": 30}}},
    {"properties": {"month": {"const": 2}, "day": {"maximum": 29}}},
]

# `Cycle`: what each anchor takes. `month` and `day` (and `year`) only for `fixed`, where month and day are
# required; whole years for the calendar anchors (`fixed`, `birthday`); `min_first_cycle_months` only for
# them; `ends_on_anniversary` only for `issue_date` and `issue_month_start`.
CYCLE: dict[str, Any] = _either(
    {
        "required": ["anchor", "month", "day"],
        "properties": {
            "anchor": {"const": "fixed"},
            "month": {"type": "integer"},
            "day": {"type": "integer"},
            "months": {"multipleOf": 12},
            "ends_on_anniversary": {"const": False},
        },
        "anyOf": _MONTH_DAYS,
    },
    {
        "required": ["anchor"],
        "properties": {
            "anchor": {"const": "birthday"},
            **_NO_FIXED_DATE,
            "months": {"multipleOf": 12},
            "ends_on_anniversary": {"const": False},
        },
    },
    {
        "required": ["anchor"],
        "properties": {
            "anchor": {"enum": ["issue_date", "issue_month_start"]},
            **_NO_FIXED_DATE,
            "min_first_cycle_months": {"const": 0},
        },
    },
    {
        "required": ["anchor"],
        "properties": {
            "anchor": {"const": "issue_month_end"},
            **_NO_FIXED_DATE,
            "min_first_cycle_months": {"const": 0},
            "ends_on_anniversary": {"const": False},
        },
    },
)

# `CategoryRequirement`: due once or every N years, not both.
CATEGORY: dict[str, Any] = _either({"properties": {"once": {"const": False}}}, {"properties": {"every_years": _NULL}})

# `OtherRequirement`: hours for the *_hours kinds, none for an attestation.
OTHER: dict[str, Any] = _either(
    {
        "required": ["kind", "hours"],
        "properties": {"kind": {"enum": ["service_hours", "supervision_hours"]}, "hours": {"type": "number"}},
    },
    {"required": ["kind"], "properties": {"kind": {"const": "attestation"}, "hours": _NULL}},
)

# `Cap`: a modality or a category, exactly one.
CAP: dict[str, Any] = _either(
    {"required": ["modality"], "properties": {"modality": {"type": "string"}, "category": _NULL}},
    {"required": ["category"], "properties": {"category": {"type": "string"}, "modality": _NULL}},
)

# `Contact`: a url, an email or a phone.
CONTACT: dict[str, Any] = _either(
    *({"required": [field], "properties": {field: {"type": "string"}}} for field in ("url", "email", "phone"))
)

# `RuleSet`: a grace period in days or in months, not both.
RULE_SET: dict[str, Any] = _either(
    {"properties": {"grace_days": {"const": 0}}}, {"properties": {"grace_months": {"const": 0}}}
)

# Lists of names that the validators refuse with a name listed twice.
UNIQUE: dict[str, Any] = {"uniqueItems": True}
