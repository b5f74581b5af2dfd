"""The rule-set document: one credential's CE renewal rules as data (see compliance.md).

These models are the contract for content/rules/*.yaml and for `PUT /v1/credentials/{code}`;
their JSON Schema (content/rules/schema.json) is what board editors see, so every field says
what it means. Cross-field checks are field validators, so errors carry the field's path.
"""

from __future__ import annotations

from calendar import monthrange
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.types import HOURS, MAX_HOURS, POSITIVE_HOURS, Day

# Exact decimals inside; JSON numbers on the wire (at most two decimal places, so exact as text).
_AS_NUMBER = PlainSerializer(lambda d: float(d), return_type=float, when_used="json")
# A JSON number, never a string or a boolean: at most 99999.99 with two decimal places (app.types).
Hours = Annotated[Decimal, HOURS, _AS_NUMBER,
                  WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_HOURS)})]
PositiveHours = Annotated[Decimal, POSITIVE_HOURS, _AS_NUMBER,
                          WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_HOURS)})]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Modality = Literal["in_person", "live_virtual", "self_paced"]
Anchor = Literal["issue_date", "issue_month_end", "issue_month_start", "fixed", "birthday"]
OtherKind = Literal["service_hours", "supervision_hours", "attestation"]

_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)  # strict: see app.types


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for v in values:
        (dup if v in seen else seen).add(v)
    return sorted(dup)


class Cycle(BaseModel):
    """How a certification's renewal cycles are laid out in time."""

    model_config = _CONFIG

    anchor: Anchor = Field(
        description=(
            "What the cycles hang on. `issue_date`: cycle 1 starts on the issue date and each "
            "cycle lasts `months` (end = start + months - 1 day). `issue_month_end`: cycles end "
            "on the last day of the month `months` months after the issue month, then every "
            "`months` months. `issue_month_start`: cycles are counted from the 1st of the issue "
            "month (cycle 1 still starts on the issue date). `fixed`: cycles end on `month`/`day` "
            "every `months` months. `birthday`: like `fixed`, on the holder's birthday. A board "
            "reinstatement restarts the cycles as if it were the issue date."
        )
    )
    months: int = Field(
        ge=1,
        le=120,
        description="Cycle length in whole months (12, 24, 36...). Whole years for `fixed` and `birthday` anchors.",
    )
    month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        validate_default=True,
        description="Month of the fixed cycle end (1-12). Required for `fixed`, not allowed otherwise.",
    )
    day: int | None = Field(
        default=None,
        ge=1,
        le=31,
        validate_default=True,
        description="Day of the fixed cycle end. Required for `fixed`, not allowed otherwise. "
        "February 29 means February 28 in years without one.",
    )
    min_first_cycle_months: int = Field(
        default=0,
        ge=0,
        le=120,
        validate_default=True,
        description="For `fixed` and `birthday` anchors: the first cycle ends on the first end "
        "date at least this many months after the issue date (0 = the first one on or after "
        "it). Must be 0 for other anchors.",
    )

    @field_validator("months")
    @classmethod
    def _whole_years_for_calendar_anchors(cls, v: int, info: ValidationInfo) -> int:
        anchor = info.data.get("anchor")
        if anchor in ("fixed", "birthday") and v % 12:
            raise ValueError(f"a {anchor} anchor needs whole years: use a multiple of 12 months")
        return v

    @field_validator("month", "day")
    @classmethod
    def _only_for_fixed(cls, v: int | None, info: ValidationInfo) -> int | None:
        anchor = info.data.get("anchor")
        if anchor is None:
            return v
        if anchor == "fixed" and v is None:
            raise ValueError(f"{info.field_name} is required when the anchor is 'fixed'")
        if anchor != "fixed" and v is not None:
            raise ValueError(f"{info.field_name} is only allowed when the anchor is 'fixed' (it is {anchor!r})")
        if info.field_name == "day" and v is not None:
            month = info.data.get("month")
            if month is not None and v > monthrange(2000, month)[1]:
                raise ValueError(f"month {month} has no day {v}")
        return v

    @field_validator("min_first_cycle_months")
    @classmethod
    def _first_cycle_only_for_calendar_anchors(cls, v: int, info: ValidationInfo) -> int:
        anchor = info.data.get("anchor")
        if v and anchor is not None and anchor not in ("fixed", "birthday"):
            raise ValueError(f"only used with a 'fixed' or 'birthday' anchor (it is {anchor!r})")
        return v


class CategoryRequirement(BaseModel):
    """Hours that must come from courses of one category (they also count toward the total)."""

    model_config = _CONFIG

    category: Slug = Field(
        description="Category slug, e.g. `ethics`. A course belongs to it when a board "
        "approval for this credential tags it so, or when one of its topics is in `topics`."
    )
    min_hours: PositiveHours = Field(description="Hours required from this category.")
    topics: list[Slug] = Field(
        default=[],
        description="Course topic ids (from the topic taxonomy) that put a course in this "
        "category without an approval tag; for boards that need no pre-approval.",
    )
    every_years: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Due once every N years instead of every cycle: met by hours completed in "
        "the N years ending on the cycle end, including completions from earlier cycles of "
        "the same chain.",
    )
    label: str | None = Field(
        default=None,
        max_length=200,
        description="How reasons name the category; default: the slug.",
    )

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, v: list[str]) -> list[str]:
        if dup := _duplicates(v):
            raise ValueError(f"topics listed twice: {', '.join(dup)}")
        return v


class ModalityMinimum(BaseModel):
    """Hours that must come from some delivery modalities (e.g. at least 5 face-to-face)."""

    model_config = _CONFIG

    modalities: list[Modality] = Field(
        min_length=1, description="Delivery modalities whose counted hours meet this minimum."
    )
    min_hours: PositiveHours = Field(description="Hours required from those modalities.")
    label: str | None = Field(default=None, max_length=200, description="How reasons name it; default: the modalities.")

    @field_validator("modalities")
    @classmethod
    def _unique_modalities(cls, v: list[str]) -> list[str]:
        if dup := _duplicates(v):
            raise ValueError(f"modalities listed twice: {', '.join(dup)}")
        return v


class OtherRequirement(BaseModel):
    """A non-CE renewal requirement, met from activities recorded within the cycle."""

    model_config = _CONFIG

    id: Slug = Field(description="Identifier that recorded activities refer to.")
    kind: OtherKind = Field(
        description="`service_hours` or `supervision_hours` (hours recorded in the cycle must "
        "reach `hours`), or `attestation` (one signed attestation in the cycle)."
    )
    hours: Hours | None = Field(
        default=None,
        validate_default=True,
        description="Hours required; required for the *_hours kinds, not allowed for attestation.",
    )
    description: str = Field(min_length=1, max_length=500, description="What the holder must do.")

    @field_validator("hours")
    @classmethod
    def _hours_match_kind(cls, v: Decimal | None, info: ValidationInfo) -> Decimal | None:
        kind = info.data.get("kind")
        if kind == "attestation" and v is not None:
            raise ValueError("an attestation has no hours")
        if kind in ("service_hours", "supervision_hours") and v is None:
            raise ValueError(f"hours are required for {kind}")
        return v


class Requirements(BaseModel):
    """What a cycle requires."""

    model_config = _CONFIG

    total_hours: Hours = Field(description="CE hours required per cycle.")
    categories: list[CategoryRequirement] = Field(default=[], description="Category minimums; slugs are unique.")
    modality_minimums: list[ModalityMinimum] = Field(default=[], description="Minimum hours by delivery modality.")
    other: list[OtherRequirement] = Field(default=[], description="Non-CE renewal requirements; ids are unique.")

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, v: list[CategoryRequirement]) -> list[CategoryRequirement]:
        if dup := _duplicates([c.category for c in v]):
            raise ValueError(f"category listed twice: {', '.join(dup)}")
        return v

    @field_validator("other")
    @classmethod
    def _unique_other_ids(cls, v: list[OtherRequirement]) -> list[OtherRequirement]:
        if dup := _duplicates([o.id for o in v]):
            raise ValueError(f"requirement id listed twice: {', '.join(dup)}")
        return v


class Cap(BaseModel):
    """At most `max_hours` per cycle from one modality or one category; the rest is discarded."""

    model_config = _CONFIG

    modality: Modality | None = Field(
        default=None, description="The capped delivery modality (give this or `category`)."
    )
    category: Slug | None = Field(
        default=None,
        validate_default=True,
        description="The capped category slug, tagged through approvals or a category's topics "
        "(give this or `modality`).",
    )
    max_hours: Hours = Field(description="Most hours per cycle that may count from it.")

    @field_validator("category")
    @classmethod
    def _exactly_one_target(cls, v: str | None, info: ValidationInfo) -> str | None:
        if "modality" not in info.data:
            return v
        if v is not None and info.data["modality"] is not None:
            raise ValueError("give either modality or category, not both")
        if v is None and info.data["modality"] is None:
            raise ValueError("one of modality or category is required")
        return v


class Carryover(BaseModel):
    """Excess hours of a cycle met on time that count toward the next cycle's total."""

    model_config = _CONFIG

    max_hours: Hours = Field(default=Decimal("0"), description="Most hours carried over (0 = no carry-over).")


_EXAMPLE: dict[str, Any] = {
    "code": "PA-CPS",
    "state": "PA",
    "name": "Certified Peer Specialist",
    "body": "Pennsylvania Certification Board",
    "timezone": "America/New_York",
    "effective_from": "2020-01-01",
    "cycle": {"anchor": "issue_date", "months": 24},
    "requirements": {
        "total_hours": 36,
        "categories": [
            {
                "category": "peer-support-recovery",
                "min_hours": 24,
                "topics": ["peer-support-core", "recovery-oriented-practice"],
            },
            {"category": "ethics", "min_hours": 3, "topics": ["ethics-and-boundaries"]},
        ],
    },
    "caps": [],
    "carryover": {"max_hours": 0},
    "due_soon_days": 90,
    "grace_days": 0,
    "grace_counts_ce": True,
    "approved_only": False,
    "source": "pacertboard.org; PA Peer Support Coalition",
    "notes": "Any format, no pre-approval.",
}


class RuleSet(BaseModel):
    """One credential's CE renewal rules, as published by its board (one version)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(
        pattern=r"^[A-Z][A-Z0-9-]{1,31}$",
        description="Credential code: upper-case letters, digits and dashes, e.g. `NC-CPSS`.",
    )
    state: str = Field(pattern=r"^[A-Z]{2}$", description="Two-letter code of the issuing state.")
    name: str = Field(min_length=1, max_length=200, description="Credential name.")
    body: str = Field(min_length=1, max_length=300, description="Issuing body (the board).")
    timezone: str = Field(
        default="America/New_York",
        description='IANA time zone that defines the board\'s "today".',
    )
    effective_from: Day = Field(description="Date from which this version applies to cycles.")
    cycle: Cycle = Field(description="Cycle length and anchor.")
    requirements: Requirements = Field(description="What each cycle requires.")
    caps: list[Cap] = Field(default=[], description="Per-cycle caps by modality or category.")
    carryover: Carryover = Field(default=Carryover(), description="Carry-over of excess hours.")
    due_soon_days: int = Field(
        default=90,
        ge=0,
        le=730,
        description="An unmet cycle becomes `due_soon` this many days before its end.",
    )
    grace_days: int = Field(
        default=0,
        ge=0,
        le=730,
        description="Days after the cycle end before an unmet cycle lapses (status `overdue`).",
    )
    grace_counts_ce: bool = Field(
        default=True,
        description="Whether CE completed during the grace period counts toward the late cycle "
        "(false: grace only allows a late renewal of CE earned by the cycle end).",
    )
    approved_only: bool = Field(
        default=False,
        description="Only completions of courses approved for this credential on the completion date count.",
    )
    source: str = Field(min_length=1, max_length=1000, description="Where the rules come from (URL or citation).")
    notes: str = Field(default="", max_length=5000, description="What a reader must know: gaps, modelling choices.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source must name where the rules come from")
        return v

    @field_validator("caps")
    @classmethod
    def _one_cap_per_target(cls, v: list[Cap]) -> list[Cap]:
        targets = [f"modality {c.modality}" if c.modality else f"category {c.category}" for c in v]
        if dup := _duplicates(targets):
            raise ValueError(f"capped twice: {', '.join(dup)}")
        return v
