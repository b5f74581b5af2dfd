"""The rule-set document: one credential's CE renewal rules as data (see docs/compliance.md).

These models are the contract for content/rules/*.yaml and for `PUT /v1/credentials/{code}`;
their JSON Schema (content/rules/schema.json) is what board editors see, so every field says
what it means. Cross-field checks are field validators, so errors carry the field's path.
"""

from __future__ import annotations

import re
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
    model_validator,
)

from app.constants import DEFAULT_TIMEZONE
from app.rules import shapes
from app.types import HOURS, MAX_HOURS, POSITIVE_HOURS, Day

# Exact decimals inside; JSON numbers on the wire (at most two decimal places, so exact as text).
_AS_NUMBER = PlainSerializer(lambda d: float(d), return_type=float, when_used="json")
# A JSON number, never a string or a boolean: at most 99999.99 with two decimal places (app.types).
Hours = Annotated[
    Decimal,
    HOURS,
    _AS_NUMBER,
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_HOURS), "multipleOf": 0.01}),
]
PositiveHours = Annotated[
    Decimal,
    POSITIVE_HOURS,
    _AS_NUMBER,
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_HOURS), "multipleOf": 0.01}),
]
_SLUG_SCHEMA: dict[str, Any] = {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "maxLength": 64}
Slug = Annotated[str, Field(pattern=_SLUG_SCHEMA["pattern"], max_length=_SLUG_SCHEMA["maxLength"])]
Modality = Literal["in_person", "live_virtual", "self_paced"]
Anchor = Literal["issue_date", "issue_month_end", "issue_month_start", "fixed", "birthday"]
OtherKind = Literal["service_hours", "supervision_hours", "attestation"]

_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)  # strict: see app.types


def _config(shape: dict[str, Any]) -> ConfigDict:
    """`_CONFIG` with the JSON Schema of the model's validators that relate its fields (app.rules.shapes)."""
    return ConfigDict(extra="forbid", frozen=True, strict=True, json_schema_extra=shape)


_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for v in values:
        (dup if v in seen else seen).add(v)
    return sorted(dup)


class Cycle(BaseModel):
    """How a certification's renewal cycles are laid out in time."""

    model_config = _config(shapes.CYCLE)

    anchor: Anchor = Field(
        description=(
            "What the cycles hang on. `issue_date`: cycle 1 starts on the issue date and each "
            "cycle lasts `months` (end = start + months - 1 day). `issue_month_end`: cycles end "
            "on the last day of the month `months` months after the issue month, then every "
            "`months` months. `issue_month_start`: cycles are counted from the 1st of the issue "
            "month (cycle 1 still starts on the issue date). `fixed`: cycles end on `month`/`day` every "
            "`months` months (in the years `year` names, when given). `birthday`: like `fixed`, on the "
            "holder's birthday. A board reinstatement restarts the cycles as if it were the issue date."
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

    ends_on_anniversary: bool = Field(
        default=False,
        description="For `issue_date` and `issue_month_start` anchors: a cycle ends ON the anniversary "
        "(the date `months` after the issue date, or after the 1st of the issue month) instead of the day "
        'before, and the next starts the day after it (MI: certified November 14, 2009, "will '
        'renew/expire on November 1, 2025"; SC: certified 01/01/2024, annual date 01/01/2025).',
    )
    year: int | None = Field(
        default=None,
        ge=1900,
        le=2200,
        validate_default=True,
        description="For `fixed` anchors only: a year in which cycles end. Cycle ends then fall only in "
        "that year plus or minus whole multiples of `months`/12 years (MS: 48 months, 2015: ends in "
        "2015, 2019, 2023...; NE: 24 months, 2025: odd years). Without it, the first end is the first "
        "`month`/`day` on or after the issue date (plus `min_first_cycle_months`).",
    )
    no_ce_first_cycle_under_months: int = Field(
        default=0,
        ge=0,
        le=120,
        description="The first cycle of a certification (from its issue date) requires no CE when it "
        "is shorter than this many months, i.e. when the issue date plus this many months falls after "
        "the cycle end (WA: 24, CE starts with the first full two-year cycle; NE: 12, CE waived when "
        "certified less than 12 months before the renewal). Other requirements still apply. 0 = never.",
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

    @field_validator("ends_on_anniversary")
    @classmethod
    def _anniversary_anchors(cls, v: bool, info: ValidationInfo) -> bool:
        anchor = info.data.get("anchor")
        if v and anchor is not None and anchor not in ("issue_date", "issue_month_start"):
            raise ValueError(f"only used with an 'issue_date' or 'issue_month_start' anchor (it is {anchor!r})")
        return v

    @field_validator("year")
    @classmethod
    def _year_only_for_fixed(cls, v: int | None, info: ValidationInfo) -> int | None:
        anchor = info.data.get("anchor")
        if v is not None and anchor is not None and anchor != "fixed":
            raise ValueError(f"only used with a 'fixed' anchor (it is {anchor!r})")
        return v


class CategoryRequirement(BaseModel):
    """Hours that must come from courses of one category (they also count toward the total)."""

    model_config = _config(shapes.CATEGORY)

    category: Slug = Field(
        description="Category slug, e.g. `ethics`. A course belongs to it when a board "
        "approval for this credential tags it so, or when one of its topics is in `topics`."
    )
    min_hours: PositiveHours = Field(description="Hours required from this category.")
    topics: list[Slug] = Field(
        default=[],
        json_schema_extra=shapes.UNIQUE,
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
    once: bool = Field(
        default=False,
        description="A one-time requirement (NY-CRPA: medication-supported recovery): met by hours "
        "completed at any time up to the cycle end, in earlier cycles or before the certification "
        "was issued (training submitted with the original application); once met, it stays met. "
        "Those hours count toward the total only in their own cycle. Not with `every_years`.",
    )
    label: str | None = Field(
        default=None,
        max_length=200,
        description="How reasons name the category; default: the slug.",
    )

    @field_validator("once")
    @classmethod
    def _once_or_every_years(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("every_years") is not None:
            raise ValueError("a category is due either once or every N years, not both")
        return v

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
        min_length=1,
        json_schema_extra=shapes.UNIQUE,
        description="Delivery modalities whose counted hours meet this minimum.",
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

    model_config = _config(shapes.OTHER)

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

    model_config = _config(shapes.CAP)

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


class InitialPeriod(BaseModel):
    """A certification phase before the renewal cycles (TX: a 6-month initial certification)."""

    model_config = _CONFIG

    label: str = Field(
        default="initial certification", min_length=1, max_length=200, description="How reasons name the phase."
    )
    months: int = Field(ge=1, le=60, description="How long the phase lasts from the issue date.")
    extension_months: int = Field(
        default=0,
        ge=0,
        le=60,
        description="How much longer the board may extend it once when its requirements are unmet at "
        "its end (status `overdue` meanwhile; `lapsed` after).",
    )
    requirements: list[OtherRequirement] = Field(
        default=[],
        description="What ends the phase (activities recorded within it, as for `requirements.other`): "
        "the renewal cycles begin on the date they are all met. Without any, the cycles begin the day "
        "after the phase.",
    )

    @field_validator("requirements")
    @classmethod
    def _unique_ids(cls, v: list[OtherRequirement]) -> list[OtherRequirement]:
        if dup := _duplicates([o.id for o in v]):
            raise ValueError(f"requirement id listed twice: {', '.join(dup)}")
        return v


class CycleOption(BaseModel):
    """A cycle length the holder chooses, with its own total (NY-NYCPS: 1 year/10 h or 2 years/20 h)."""

    model_config = _CONFIG

    id: Slug = Field(description="What a certification's `cycle_option` names.")
    label: str | None = Field(default=None, max_length=200, description="How it is shown; default: the id.")
    months: int = Field(ge=1, le=120, description="Cycle length in whole months for holders who chose it.")
    total_hours: Hours = Field(description="CE hours required per cycle for holders who chose it.")


class Variant(BaseModel):
    """A variant of the credential that adds hours (NC's military designation, NY CRPA-Family)."""

    model_config = _CONFIG

    id: Slug = Field(description="What a certification's `variants` name.")
    label: str = Field(min_length=1, max_length=200, description="How it is shown.")
    extra_hours: Hours = Field(default=Decimal("0"), description="Hours added to the cycle's total.")
    categories: list[CategoryRequirement] = Field(
        default=[],
        description="Category minimums added to the cycle's (their slugs must differ from the rule "
        "set's and the other variants' categories).",
    )

    @field_validator("categories")
    @classmethod
    def _unique_categories(cls, v: list[CategoryRequirement]) -> list[CategoryRequirement]:
        if dup := _duplicates([c.category for c in v]):
            raise ValueError(f"category listed twice: {', '.join(dup)}")
        return v


class Contact(BaseModel):
    """Whom a peer contacts about this credential: the board's renewal desk. Shown on the peer's status page
    when only the board can help (overdue, lapsed, suspended, revoked, inactive). Give only what the board
    itself publishes."""

    model_config = _config(shapes.CONTACT)

    name: str = Field(
        min_length=1, max_length=200, description="Who to contact, e.g. the board's certification office."
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https://\S+$",
        max_length=1000,
        description="The board's page for renewals or contact (https).",
    )
    email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        max_length=254,
        description="The board's published email address.",
    )
    phone: str | None = Field(
        default=None,
        pattern=r"^\+?[0-9 ().-]{7,30}$",
        max_length=30,
        description="As the board writes it, e.g. `(919) 555-0100`.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if self.url is None and self.email is None and self.phone is None:
            raise ValueError("a contact needs a url, an email or a phone")
        return self


class Source(BaseModel):
    """One source a rule set was read from: a board's page, a form or a regulation text."""

    model_config = _CONFIG

    id: Slug = Field(description="What `figure_sources` refer to.")
    title: str = Field(
        min_length=1,
        max_length=500,
        json_schema_extra={"pattern": "\\S"},  # not blank
        description="The page's or regulation's own title.",
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        max_length=1000,
        description="Where it is published. Absent only for a source recorded before sources were data "
        "(a legacy `source` text).",
    )
    read_on: Day | None = Field(default=None, description="When peer-ce read it.")
    verified: bool = Field(
        default=False,
        description="True when the figures cited from it were read on the body's own page or in the "
        "regulation text; false for a lead (a copy, a summary) that a reader must not take as the rule.",
    )
    note: str = Field(default="", max_length=1000, description="What this source says or leaves open.")


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
    "sources": [
        {
            "id": "pcb-recert",
            "title": "Pennsylvania Certification Board: recertification information",
            "url": "https://www.pacertboard.org/recertification",
            "read_on": "2026-12-03",
            "verified": True,
        }
    ],
    "figure_sources": {"requirements.total_hours": ["pcb-recert"], "requirements.categories.ethics": ["pcb-recert"]},
    "notes": "Any format, no pre-approval.",
}


class RuleSet(BaseModel):
    """One credential's CE renewal rules, as published by its board (one version)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, json_schema_extra={"examples": [_EXAMPLE], **shapes.RULE_SET}
    )

    code: str = Field(
        pattern=r"^[A-Z][A-Z0-9-]{1,31}$",
        description="Credential code: upper-case letters, digits and dashes, e.g. `NC-CPSS`.",
    )
    state: str = Field(pattern=r"^[A-Z]{2}$", description="Two-letter code of the issuing state.")
    name: str = Field(min_length=1, max_length=200, description="Credential name.")
    body: str = Field(min_length=1, max_length=300, description="Issuing body (the board).")
    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
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
    grace_months: int = Field(
        default=0,
        ge=0,
        le=24,
        description="A grace period in whole months instead of days: it ends on the cycle end plus this "
        "many months (PA: six months from the expiration date). Not together with `grace_days`.",
    )
    grace_counts_ce: bool = Field(
        default=True,
        description="Whether CE completed during the grace period counts toward the late cycle "
        "(false: grace only allows a late renewal of CE earned by the cycle end, or by the filing "
        "deadline when `filing_days_before_end` sets one).",
    )
    approved_only: bool = Field(
        default=False,
        description="Only completions of courses approved for this credential on the completion date count.",
    )
    filing_days_before_end: int = Field(
        default=0,
        ge=0,
        le=365,
        description="The renewal is due this many days before the cycle end, which is when the "
        "certification expires (WV: filed by August 30, expires September 30: 31). From the day after "
        "this filing deadline an unmet cycle is `overdue`, and `due_soon_days` count back from it. "
        "CE dated up to the cycle end still counts, unless `grace_counts_ce` is false: then CE counts "
        "only up to the filing deadline (WV: no education hours once late). 0 = due on the cycle end.",
    )
    course_counts_once: bool = Field(
        default=False,
        description="A course counts once per certification: completed again in a later cycle, it "
        "counts nothing there (IL: a training counts once even if repeated in a later period).",
    )
    initial_period: InitialPeriod | None = Field(
        default=None,
        description="A certification phase from the issue date before the renewal cycles begin "
        "(TX); no CE is required in it.",
    )
    cycle_options: list[CycleOption] = Field(
        default=[],
        description="Cycle lengths the holder chooses between, each with its own total; a "
        "certification names its choice (`cycle_option`). Replaces `cycle.months` and "
        "`requirements.total_hours` for that certification.",
    )
    variants: list[Variant] = Field(
        default=[],
        description="Variants of the credential that add hours; a certification names the ones it holds (`variants`).",
    )
    superseded_by: list[str] = Field(
        default=[],
        json_schema_extra={**shapes.UNIQUE, "items": {"type": "string", "pattern": _CODE.pattern}},
        description="Credentials that replace this one (WV-PRSS: WV-PRSS-MH and WV-PRSS-SUD): no new "
        "certification may be registered on it, and a board moves each existing certification to one "
        "of them (`credential_code` in PATCH /v1/certifications/{id}).",
    )
    sources: list[Source] = Field(
        min_length=1,
        description="Where the rules come from: every page and regulation text read, with when it was "
        "read and whether it is the body's own (verified). A document with a legacy free-text "
        "`source` is read as one unverified source titled with that text.",
    )
    figure_sources: dict[str, list[Slug]] = Field(
        default={},
        json_schema_extra={  # a figure cites at least one source
            "additionalProperties": {"type": "array", "items": _SLUG_SCHEMA, "minItems": 1}
        },
        description="Which sources (by id) each figure comes from. Keys name figures: `cycle`, "
        "`effective_from`, `requirements.total_hours`, `requirements.categories.<slug>`, "
        "`requirements.modality_minimums.<index>`, `requirements.other.<id>`, `caps.<modality or "
        "category>`, `carryover`, `due_soon_days`, `grace_days`, `grace_months`, `grace_counts_ce`, `approved_only`, "
        "`filing_days_before_end`, `course_counts_once`, `initial_period`, `cycle_options.<id>`, "
        "`variants.<id>`, `superseded_by`.",
    )
    notes: str = Field(default="", max_length=8000, description="What a reader must know: gaps, modelling choices.")
    contact: Contact | None = Field(
        default=None,
        description="Whom peers contact about renewals, lapses and holds (the board's own "
        "published contact); without it the status page says to contact the certification board.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v

    @model_validator(mode="before")
    @classmethod
    def _legacy_source(cls, data: Any) -> Any:
        """A document published before sources were data: its `source` text becomes one source."""
        if isinstance(data, dict) and "source" in data:
            data = dict(data)
            text = data.pop("source")
            if "sources" in data:
                raise ValueError("give `sources`, not the legacy `source` text")
            title = text.strip()[:500] if isinstance(text, str) else text
            data["sources"] = [{"id": "source", "title": title or " ", "verified": False}]
        return data

    @field_validator("grace_months")
    @classmethod
    def _grace_in_days_or_months(cls, v: int, info: ValidationInfo) -> int:
        if v and info.data.get("grace_days"):
            raise ValueError("give the grace period in days or in months, not both")
        return v

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[Source]) -> list[Source]:
        if dup := _duplicates([x.id for x in v]):
            raise ValueError(f"source id listed twice: {', '.join(dup)}")
        for x in v:
            if not x.title.strip():
                raise ValueError(f"source {x.id} needs a title: name where the rules come from")
        return v

    @field_validator("superseded_by")
    @classmethod
    def _successor_codes(cls, v: list[str], info: ValidationInfo) -> list[str]:
        for code in v:
            if not _CODE.match(code) or code == info.data.get("code"):
                raise ValueError(f"{code!r} is not another credential code")
        if dup := _duplicates(v):
            raise ValueError(f"listed twice: {', '.join(dup)}")
        return v

    @model_validator(mode="after")
    def _choices_and_citations(self) -> RuleSet:
        anchor = self.cycle.anchor
        if dup := _duplicates([o.id for o in self.cycle_options]):
            raise ValueError(f"cycle_options: id listed twice: {', '.join(dup)}")
        for o in self.cycle_options:
            if anchor in ("fixed", "birthday") and o.months % 12:
                raise ValueError(f"cycle_options.{o.id}: a {anchor} anchor needs whole years")
        if dup := _duplicates([x.id for x in self.variants]):
            raise ValueError(f"variants: id listed twice: {', '.join(dup)}")
        slugs = [c.category for c in self.requirements.categories]
        slugs += [c.category for x in self.variants for c in x.categories]
        if dup := _duplicates(slugs):
            raise ValueError(f"variants: category already required elsewhere: {', '.join(dup)}")
        figures = self.figure_paths()
        known = {x.id for x in self.sources}
        for key, ids in self.figure_sources.items():
            if key not in figures:
                raise ValueError(
                    f"figure_sources: {key!r} names no figure of this rule set (one of: {', '.join(sorted(figures))})"
                )
            if not ids:
                raise ValueError(f"figure_sources: {key!r} names no source")
            if missing := sorted(set(ids) - known):
                raise ValueError(f"figure_sources: {key!r} names unknown sources: {', '.join(missing)}")
        return self

    def figure_paths(self) -> set[str]:
        """The figures `figure_sources` may cite, as their keys."""
        req = self.requirements
        paths = {
            "effective_from",
            "cycle",
            "requirements.total_hours",
            "carryover",
            "due_soon_days",
            "grace_days",
            "grace_months",
            "grace_counts_ce",
            "approved_only",
            "filing_days_before_end",
            "course_counts_once",
        }
        paths.update(f"requirements.categories.{c.category}" for c in req.categories)
        paths.update(f"requirements.modality_minimums.{i}" for i in range(len(req.modality_minimums)))
        paths.update(f"requirements.other.{o.id}" for o in req.other)
        paths.update(f"caps.{c.modality or c.category}" for c in self.caps)
        paths.update(f"cycle_options.{o.id}" for o in self.cycle_options)
        paths.update(f"variants.{x.id}" for x in self.variants)
        if self.initial_period is not None:
            paths.add("initial_period")
        if self.superseded_by:
            paths.add("superseded_by")
        return paths

    @field_validator("caps")
    @classmethod
    def _one_cap_per_target(cls, v: list[Cap]) -> list[Cap]:
        targets = [f"modality {c.modality}" if c.modality else f"category {c.category}" for c in v]
        if dup := _duplicates(targets):
            raise ValueError(f"capped twice: {', '.join(dup)}")
        return v
