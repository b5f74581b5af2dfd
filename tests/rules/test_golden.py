"""Golden cases from the boards' own words: for every shipped rule set, the examples and dates its sources give
(each case quotes or names them), evaluated with the shipped file. A later change to a rule file or to the
engine that contradicts a board's own example fails here.

Dates are the boards' (or follow from their words); hours are the boards' figures. Each case evaluates one
certification as of one date and checks the fields the board's words fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.rules.engine import (
    Activity,
    Approval,
    CertificationFacts,
    Completion,
    RuleVersion,
    evaluate,
    iter_cycle_bounds,
)
from app.rules.loader import CONTENT_RULES_DIR, load_rule_file

_RULES = {p.stem.upper(): load_rule_file(p) for p in sorted(CONTENT_RULES_DIR.glob("*.yaml"))}


def d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True)
class C:
    """A completion: day, hours, approval tags for the credential (None: not approved), topics, course key."""

    on: str
    hours: str
    tags: tuple[str, ...] | None = ()
    topics: tuple[str, ...] = ()
    course: str | None = None


@dataclass(frozen=True)
class Case:
    code: str
    words: str  # what the board says, and where
    issued: str
    as_of: str
    expect: dict[str, Any]
    completions: tuple[C, ...] = ()
    activities: tuple[tuple[str, str, str | None], ...] = ()  # (requirement id, day, hours)
    birthday: tuple[int, int] | None = None
    option: str | None = None
    variants: tuple[str, ...] = ()
    not_counted: dict[int, str] = field(default_factory=dict)  # completion index -> words in its reason


def _evaluate(case: Case):
    rs = _RULES[case.code]
    kinds = {
        o.id: o.kind for o in (*rs.requirements.other, *(rs.initial_period.requirements if rs.initial_period else ()))
    }
    comps = [
        Completion(
            id=i + 1,
            course_key=c.course or f"course-{i + 1}",
            completed_on=d(c.on),
            hours=Decimal(c.hours),
            modality="in_person",
            accepted=True,
            topics=frozenset(c.topics),
            approvals=() if c.tags is None else (Approval(rs.code, frozenset(c.tags)),),
        )
        for i, c in enumerate(case.completions)
    ]
    acts = [
        Activity(kinds[rid], rid, d(on), None if hours is None else Decimal(hours))
        for rid, on, hours in case.activities
    ]
    facts = CertificationFacts(
        d(case.issued),
        rs.code,
        birth_month_day=case.birthday,
        cycle_option=case.option,
        variants=tuple(sorted(case.variants)),
    )
    return evaluate(
        versions=[RuleVersion(1, rs.effective_from, rs)],
        facts=facts,
        completions=comps,
        as_of=d(case.as_of),
        activities=acts,
    )


def _all_attested(rs_code: str, on: str) -> tuple[tuple[str, str, None], ...]:
    return tuple((o.id, on, None) for o in _RULES[rs_code].requirements.other)


CASES = [
    # --- NC -----------------------------------------------------------------------------------------------
    Case(
        "NC-CPSS",
        "pss.unc.edu: renew every two years 'by the last day of the month that they are due for "
        "renewal'; late recertification 'within 30 days' after it",
        "2025-03-15",
        "2027-04-15",
        {"cycle_end": "2027-03-31", "grace_ends_on": "2027-04-30", "status": "overdue", "required_hours": 20},
    ),
    Case(
        "NC-CPSS",
        "pss.unc.edu: not renewed within the late recertification period, the certification lapses",
        "2025-03-15",
        "2027-05-01",
        {"status": "lapsed"},
    ),
    Case(
        "NC-CPSS",
        "pss.unc.edu/military: maintaining the designation takes 12 hours of human service training "
        "and 8 hours of military-specific training",
        "2025-03-15",
        "2025-09-01",
        {"required_hours": 20, "status": "in_progress", "categories": {"military-specific": 8}},
        completions=(C("2025-06-01", "12"),),
        variants=("military",),
    ),
    # --- VA -----------------------------------------------------------------------------------------------
    Case(
        "VA-RPRS",
        "18VAC115-70-60: 'a minimum of eight contact hours of continuing education for each annual "
        "registration renewal. A minimum of two of these hours shall be in courses that emphasize ethics'",
        "2025-05-01",
        "2026-01-15",
        {"cycle_end": "2026-04-30", "required_hours": 8, "status": "compliant", "categories": {"ethics": 2}},
        completions=(C("2025-07-01", "6"), C("2025-08-01", "2", ("ethics",))),
    ),
    # --- KY -----------------------------------------------------------------------------------------------
    *[
        Case(
            code,
            "dbhdid.ky.gov: 'all peer support specialists are only required to complete 6 hours of "
            "continuing education annually'",
            "2025-01-10",
            "2025-12-01",
            {"cycle_end": "2026-01-09", "required_hours": 6, "status": "compliant"},
            completions=(C("2025-04-01", "6"),),
        )
        for code in ("KY-APSS", "KY-FPSS", "KY-YPSS")
    ],
    *[
        Case(
            code,
            "dbhdid.ky.gov: under 908 KAR 1:370 'only required to complete 10 hours of continuing education "
            "in alcohol and other drug-relevant training annually'",
            "2025-01-10",
            "2025-12-01",
            {"required_hours": 10, "status": "due_soon", "categories": {"aod-relevant": 10}},
            completions=(C("2025-04-01", "6"),),
            variants=("aod-program",),
        )
        for code in ("KY-APSS", "KY-YPSS")
    ],
    Case(
        "KY-RADPSS",
        "201 KAR 35:040: 'A minimum of ten (10) continuing education hours each year'",
        "2025-01-10",
        "2025-12-01",
        {"cycle_end": "2026-01-09", "required_hours": 10, "status": "due_soon"},
        completions=(C("2025-04-01", "6"),),
    ),
    # --- PA -----------------------------------------------------------------------------------------------
    *[
        Case(
            code,
            "pacertboard.org: 'if your credential was issued on 1/1/2021 and expires on 1/1/2023, you can use "
            "education after 1/1/2021'; from 2026, the recertification process 'for six (6) months from your "
            "expiration date'",
            "2021-01-01",
            "2023-03-01",
            {
                "cycle_start": "2021-01-01",
                "cycle_end": "2023-01-01",
                "grace_ends_on": "2023-07-01",
                "status": "overdue",
                "required_hours": hours,
            },
        )
        for code, hours in (("PA-CPS", 36), ("PA-CRS", 30), ("PA-CFRS", 30))
    ],
    Case(
        "PA-CRS",
        "pacertboard.org: 30 hours including 6 in ethics and 3 in confidentiality",
        "2021-01-01",
        "2022-06-01",
        {"status": "compliant", "categories": {"ethics": 6, "confidentiality": 3}},
        completions=(
            C("2021-03-01", "21"),
            C("2021-04-01", "6", ("ethics",)),
            C("2021-05-01", "3", ("confidentiality",)),
        ),
    ),
    Case(
        "PA-CPS",
        "pacertboard.org: 'education ... no earlier than two years prior to the applicant's current expiration date'",
        "2021-01-01",
        "2022-06-01",
        {"earned_hours": 0},
        completions=(C("2020-12-31", "36"),),
        not_counted={0: "outside the cycle 2021-01-01 to 2023-01-01"},
    ),
    # --- GA -----------------------------------------------------------------------------------------------
    Case(
        "GA-CPS-MH",
        "gmhcn.org: 'If a CPS passed the certification exam at any time in 2022, CEUs begin accruing in January 2023'",
        "2022-06-15",
        "2022-10-01",
        {"cycle_end": "2022-12-31", "status": "compliant", "required_hours": 0, "period": "no_ce_first_cycle"},
    ),
    Case(
        "GA-CPS-MH",
        "gmhcn.org: 'Twelve CEUs must be acquired by December 31, 2023'",
        "2022-06-15",
        "2023-03-01",
        {
            "cycle_start": "2023-01-01",
            "cycle_end": "2023-12-31",
            "required_hours": 12,
            "status": "in_progress",
            "categories": {"gmhcn-sponsored": 6, "peer-ethics": 1},
        },
        completions=(C("2022-11-01", "12", ("gmhcn-sponsored",)),),
        not_counted={0: "in the first cycle 2022-06-15 to 2022-12-31, which required no CE"},
    ),
    Case(
        "GA-CPS-MH",
        "GMHCN 2025 form: no late fee until January 15, late fee until January 31, then inactive; "
        "policy: 'All qualifying CEUs for the year must be obtained by December 31st'",
        "2022-06-15",
        "2024-01-20",
        {"status": "overdue", "grace_ends_on": "2024-01-31", "earned_hours": 0},
        completions=(C("2024-01-05", "12", ("gmhcn-sponsored", "peer-ethics")),),
    ),
    Case(
        "GA-CPS-MH",
        "GMHCN 2025 form: not uploaded by January 31, inactive",
        "2022-06-15",
        "2024-02-01",
        {"status": "lapsed"},
    ),
    Case(
        "GA-CPS-MH",
        "gmhcn.org: trainings not verified by GMHCN are not accepted",
        "2022-06-15",
        "2023-06-01",
        {"earned_hours": 0},
        completions=(C("2023-05-01", "12", None),),
        not_counted={0: "not approved for GA-CPS-MH"},
    ),
    Case(
        "GA-CPS-AD",
        "gasubstanceabuse.org: 'All Qualifying CEUs for 2023 must be earned between January and "
        "December 2023'; six 'by attending a CARES Academy Connect'; inactive if not submitted by Feb 28, 2024",
        "2022-05-01",
        "2024-02-01",
        {
            "cycle_start": "2023-01-01",
            "cycle_end": "2023-12-31",
            "grace_ends_on": "2024-02-28",
            "status": "overdue",
            "earned_hours": 6,
            "categories": {"cares-academy-connect": 6},
        },
        completions=(
            C("2022-06-01", "6", ("cares-academy-connect",)),
            C("2022-07-01", "6"),
            C("2023-04-01", "6", ("cares-academy-connect",)),
            C("2024-01-10", "6"),
        ),
    ),
    Case(
        "GA-CPS-AD",
        "gasubstanceabuse.org: 'We will accept 6 CEU's from Georgia Mental Health Consumer Network's CPS project'",
        "2022-05-01",
        "2022-12-01",
        {"earned_hours": 6, "discarded_hours": 3},
        completions=(C("2022-06-01", "9", ("gmhcn-cps-project",)),),
    ),
    # --- TX -----------------------------------------------------------------------------------------------
    Case(
        "TX-PS",
        "1 TAC 354.3205(a): 'Initial peer specialist certification is valid for six months'",
        "2025-01-10",
        "2025-03-01",
        {"period": "initial", "cycle_end": "2025-07-09", "required_hours": 0, "status": "in_progress"},
    ),
    Case(
        "TX-PS",
        "1 TAC 354.3205(d): the certification entity 'may approve one additional six-month "
        "certification or may deny renewal'",
        "2025-01-10",
        "2025-09-01",
        {"period": "initial", "status": "overdue", "grace_ends_on": "2026-01-09"},
    ),
    Case(
        "TX-PS",
        "1 TAC 354.3205(f), 354.3207(a), 354.3161(a): once the 250 hours are approved, a two-year "
        "certification, renewed every two years with 20 hours, three of them on ethics",
        "2025-01-10",
        "2025-09-01",
        {
            "period": "cycle",
            "cycle_start": "2025-05-20",
            "cycle_end": "2027-05-19",
            "required_hours": 20,
            "categories": {"ethics": 3},
        },
        activities=(
            ("supervised-work-experience", "2025-03-01", "120"),
            ("supervised-work-experience", "2025-05-20", "130"),
        ),
    ),
    Case(
        "TX-PS",
        "1 TAC 354.3161(d)(3): training approved as CE for mental health or substance use professionals counts too",
        "2025-01-10",
        "2025-12-01",
        {"earned_hours": 5},
        completions=(C("2025-08-01", "5", None),),
        activities=(("supervised-work-experience", "2025-05-20", "250"),),
    ),
    # --- CA -----------------------------------------------------------------------------------------------
    Case(
        "CA-CMPSS",
        "capeercertification.org: renewal every two years; 'no more than 90 days prior to expiration'",
        "2025-03-15",
        "2026-12-14",
        {"cycle_end": "2027-03-14", "status": "due_soon", "required_hours": 20, "categories": {"law-and-ethics": 6}},
    ),
    Case(
        "CA-CMPSS",
        "capeercertification.org: 'A certification not renewed by its expiration date is considered expired'",
        "2025-03-15",
        "2027-03-15",
        {"status": "lapsed"},
    ),
    # --- NY -----------------------------------------------------------------------------------------------
    Case(
        "NY-CRPA",
        "asapnys.org: 'Your completed renewal application is due 45 days before your expiration date "
        "to avoid a $25 late fee'; 'Renew (every 3 years)'",
        "2025-03-15",
        "2028-02-01",
        {"cycle_end": "2028-03-14", "filing_due_on": "2028-01-29", "status": "overdue", "required_hours": 28},
    ),
    Case(
        "NY-CRPA",
        "asapnys.org: MSR 'submit[ted] with your original CRPA ... application' need not be repeated; "
        "'This is a one-time requirement'; it counts toward the 28",
        "2025-03-15",
        "2026-01-01",
        {"status": "compliant", "categories": {"ethics": 4, "medication-supported-recovery": 4}},
        completions=(
            C("2024-11-01", "4", ("medication-supported-recovery",)),
            C("2025-06-01", "24"),
            C("2025-07-01", "4", ("ethics",)),
        ),
    ),
    Case(
        "NY-CRPA",
        "asapnys.org: 'List of Professional Development (4 hours maximum)'",
        "2025-03-15",
        "2026-01-01",
        {"earned_hours": 4, "discarded_hours": 6},
        completions=(C("2025-06-01", "10", ("professional-development",)),),
    ),
    Case(
        "NY-CRPA",
        "asapnys.org: 'CRPA Family- 6 hours approved renewal training in family-oriented education ... "
        "including a minimum of 1 hour in cultural competence'",
        "2025-03-15",
        "2026-01-01",
        {
            "required_hours": 34,
            "categories": {
                "ethics": 4,
                "medication-supported-recovery": 4,
                "family-oriented": 6,
                "cultural-competence": 1,
            },
        },
        variants=("family",),
    ),
    Case(
        "NY-CARC",
        "asapnys.org: 'CARC (18 hours required)'; '3 hours (CARC) ... of Ethics'; due 45 days before expiry",
        "2025-03-15",
        "2026-01-01",
        {"cycle_end": "2028-03-14", "filing_due_on": "2028-01-29", "required_hours": 18, "categories": {"ethics": 3}},
    ),
    Case(
        "NY-NYCPS",
        "nypscb.org: 'if you renewed from 6/1/2022 - 6/1/2023, all credits must be dated after "
        "6/1/2022'; 'one year renewal (10 CECs)'",
        "2021-06-01",
        "2022-12-01",
        {"cycle_start": "2022-06-02", "cycle_end": "2023-06-01", "required_hours": 10, "earned_hours": 0},
        completions=(C("2021-09-01", "10", ("x",)), C("2022-06-01", "10", ("x",))),
        option="one-year",
    ),
    Case(
        "NY-NYCPS",
        "nypscb.org: 'two year renewal (20 CECs)'",
        "2022-06-01",
        "2023-01-01",
        {"cycle_end": "2024-06-01", "required_hours": 20, "cycle_option": "two-year"},
        option="two-year",
    ),
    # --- WA -----------------------------------------------------------------------------------------------
    Case(
        "WA-CPSS",
        "DOH: 'This two-year cycle may not start with your first credential'; WAC 246-929-300(6): "
        "'upon their first full two-year certification'",
        "2025-08-01",
        "2026-05-01",
        {"cycle_end": "2026-07-04", "status": "compliant", "required_hours": 0, "period": "no_ce_first_cycle"},
        birthday=(7, 4),
    ),
    Case(
        "WA-CPSS",
        "DOH: 'The first time the CE cycle starts is when the credential holder has a full two year "
        "issuance, where it is active on one birthday and expires 2 years later on your birthday'",
        "2025-08-01",
        "2026-07-05",
        {
            "cycle_start": "2026-07-05",
            "cycle_end": "2028-07-04",
            "required_hours": 30,
            "categories": {"peer-specific": 14, "law-and-ethics": 2, "suicide-prevention": 3, "health-equity": 2},
        },
        birthday=(7, 4),
    ),
    # --- OH -----------------------------------------------------------------------------------------------
    Case(
        "OH-PEER",
        "mha.ohio.gov: 'valid for a period of 2 years'; renewal 'within 90 days of certification "
        "expiration'; 30 hours in nine topics",
        "2025-03-15",
        "2026-12-14",
        {
            "cycle_end": "2027-03-14",
            "status": "due_soon",
            "required_hours": 30,
            "categories": {
                "ethics": 3,
                "boundaries": 3,
                "diversity-cultural": 2,
                "system-navigation": 1,
                "trauma-informed-care": 2,
                "human-trafficking": 1,
                "behavioral-health-knowledge": 1,
                "health-and-wellness": 1,
                "coaching": 2,
            },
        },
    ),
    # --- MI -----------------------------------------------------------------------------------------------
    Case(
        "MI-CPSS",
        "mipeers.org: 'If you were certified January 12th, your CE start date would be January 1st, "
        "2024. You will need to obtain 32 CEs by January 1st, 2026'",
        "2024-01-12",
        "2025-06-01",
        {"cycle_start": "2024-01-12", "cycle_end": "2026-01-01", "required_hours": 32},
    ),
    Case(
        "MI-CPSS",
        "mipeers.org: 'Every two years on the first day of the month of your certification date'",
        "2024-01-12",
        "2026-01-02",
        {"cycle_end": "2026-01-01", "status": "lapsed"},
    ),
    # --- IL -----------------------------------------------------------------------------------------------
    Case(
        "IL-CPRS",
        "ICB: 'may receive CEU credit only once for a training event, even if repeated during different "
        "certification periods'",
        "2024-01-10",
        "2026-06-01",
        {"cycle_start": "2026-01-10", "earned_hours": 6, "required_hours": 30, "categories": {"ethics": 6}},
        completions=(
            C("2024-03-01", "24", (), course="core-skills"),
            C("2024-04-01", "6", ("ethics",)),
            C("2026-03-01", "24", (), course="core-skills"),
            C("2026-04-01", "6", ("ethics",)),
        ),
        not_counted={2: "a course counts once for IL-CPRS"},
    ),
    Case(
        "IL-CPRS",
        "ICB: 'CEUs earned prior to initial certification are not eligible'",
        "2024-01-10",
        "2024-06-01",
        {"earned_hours": 0},
        completions=(C("2024-01-09", "30", ("ethics",)),),
    ),
    # --- WV -----------------------------------------------------------------------------------------------
    *[
        Case(
            code,
            "wvcbapp.org: 'APPLICATIONS MUST BE POSTMARKED BY 8/30 OF THE RENEWAL YEAR REGARDLESS OF THE 9/30 "
            "EXPIRATION'; a 90-day grace period after a missed deadline",
            "2025-10-15",
            "2026-08-31",
            {
                "cycle_end": "2026-09-30",
                "filing_due_on": "2026-08-30",
                "grace_ends_on": "2026-11-28",
                "status": "overdue",
                "required_hours": 20,
                "categories": {"peer-code-of-ethics": 6},
            },
        )
        for code in ("WV-PRSS-MH", "WV-PRSS-SUD", "WV-PRSS")
    ],
    Case(
        "WV-PRSS-MH",
        "WVCBAPP 2025 form: 'education hours may not be acquired during this period'; should the "
        "grace period expire, a new initial application and the exam",
        "2025-10-15",
        "2026-11-29",
        {"status": "lapsed", "earned_hours": 14},
        completions=(
            C("2026-02-01", "8", ("x",)),
            C("2026-03-01", "6", ("peer-code-of-ethics",)),
            C("2026-09-10", "6", ("x",)),
        ),
        activities=_all_attested("WV-PRSS-MH", "2026-06-01"),
        not_counted={2: "after the renewal was due on 2026-08-30"},
    ),
    Case(
        "WV-PRSS-SUD",
        "WVCBAPP 2025 form: a signed Code of Ethics Statement and a signed Statement of Personal "
        "Recovery with 20 approved hours",
        "2025-10-15",
        "2026-07-01",
        {"status": "compliant"},
        completions=(C("2026-02-01", "14", ("x",)), C("2026-03-01", "6", ("peer-code-of-ethics",))),
        activities=_all_attested("WV-PRSS-SUD", "2026-06-01"),
    ),
    Case(
        "WV-PRSS-SUD",
        "WVCBAPP 2025 form: both signed statements are required",
        "2025-10-15",
        "2026-07-01",
        {"status": "due_soon"},
        completions=(C("2026-02-01", "14", ("x",)), C("2026-03-01", "6", ("peer-code-of-ethics",))),
        activities=(("code-of-ethics-statement", "2026-06-01", None),),
    ),
    # --- IC&RC --------------------------------------------------------------------------------------------
    Case(
        "ICRC-PR",
        "internationalcredentialing.org: '20 hours of continuing education earned every two years, "
        "including six hours in ethics'",
        "2025-03-15",
        "2026-01-01",
        {"cycle_end": "2027-03-14", "required_hours": 20, "categories": {"ethics": 6}},
    ),
    # --- MS -----------------------------------------------------------------------------------------------
    Case(
        "MS-CPSSP",
        "Miss. Admin. Code 24-5-7: 'Renewal deadlines will be every four years - September 30, 2015, "
        "September 30, 2019, etc.'",
        "2016-02-01",
        "2018-01-01",
        {"cycle_start": "2016-02-01", "cycle_end": "2019-09-30", "required_hours": 20},
    ),
    Case(
        "MS-CPSSP",
        "Miss. Admin. Code 24-5-7: those 'who fail to renew by the established deadline will have their "
        "credential automatically changed to Lapsed Status'",
        "2016-02-01",
        "2019-10-01",
        {"status": "lapsed"},
    ),
    Case(
        "MS-CPSSP",
        "Miss. Admin. Code 24-5-7: 20 hours each recertification period AND the employer's in-service training",
        "2020-02-01",
        "2023-08-01",
        {"cycle_end": "2023-09-30", "status": "compliant"},
        completions=(C("2021-02-01", "20"),),
        activities=_all_attested("MS-CPSSP", "2023-07-01"),
    ),
    # --- NE -----------------------------------------------------------------------------------------------
    Case(
        "NE-CPSS",
        "206 NAC 7-002: certificates 'expire on September 1st of each odd numbered year'; 20 hours, six in ethics",
        "2026-03-01",
        "2027-01-01",
        {"cycle_end": "2027-09-01", "required_hours": 20, "categories": {"ethics": 6}, "period": "cycle"},
    ),
    Case(
        "NE-CPSS",
        "206 NAC 7-002.02: CE waived for 'Certificate holders who were certified within the 12 month "
        "period immediately prior to the renewal date'",
        "2026-10-01",
        "2027-01-01",
        {"cycle_end": "2027-09-01", "required_hours": 0, "status": "compliant", "period": "no_ce_first_cycle"},
    ),
    Case(
        "NE-CPSS",
        "DHHS reinstatement page: 'If a Peer's certification expired on September 1, 2021'",
        "2020-01-15",
        "2021-09-02",
        {"cycle_end": "2021-09-01", "status": "lapsed"},
    ),
    # --- OR -----------------------------------------------------------------------------------------------
    Case(
        "OR-PSS",
        "oregon.gov/oha: 'good for three years from the issue date'; 20 hours including 1.5 of oral "
        "health and 3 of suicide prevention; lapsed more than 6 months, a competency test",
        "2025-03-15",
        "2028-05-01",
        {
            "cycle_end": "2028-03-14",
            "grace_ends_on": "2028-09-14",
            "status": "overdue",
            "required_hours": 20,
            "categories": {"oral-health": Decimal("1.5"), "suicide-prevention": 3},
        },
    ),
    # --- SC -----------------------------------------------------------------------------------------------
    Case(
        "SC-CPSS",
        "scshare.com: 'a person receives initial certification on 01/01/2024, the annual date of "
        "certification will be 01/01/2025. Recertification will not be permitted after 04/01/2025'",
        "2024-01-01",
        "2025-04-01",
        {"cycle_end": "2025-01-01", "grace_ends_on": "2025-04-01", "status": "overdue", "required_hours": 20},
    ),
    Case(
        "SC-CPSS",
        "scshare.com: after 04/01/2025 the certification expires and the whole training is repeated",
        "2024-01-01",
        "2025-04-02",
        {"status": "lapsed"},
    ),
    # --- WI -----------------------------------------------------------------------------------------------
    Case(
        "WI-CPS",
        "wicps.org: 'All CPS recertifying on August 30, 2021, will receive a new certificate from DCTS "
        "with an expiration date of August 30, 2023'; 'two years in which to complete their 20 hours'",
        "2021-08-30",
        "2023-01-01",
        {"cycle_end": "2023-08-30", "required_hours": 20},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{i}" for i, c in enumerate(CASES)])
def test_the_boards_own_examples_hold(case: Case):
    e = _evaluate(case)
    dates = {"cycle_start", "cycle_end", "grace_ends_on", "filing_due_on"}
    for key, want in case.expect.items():
        if key == "categories":
            got = {c.category: c.required_hours for c in e.categories}
            assert got == {k: Decimal(v) for k, v in want.items()}, case.words
        elif key in dates:
            assert getattr(e, key) == d(want), (key, case.words)
        elif key.endswith("_hours"):
            assert getattr(e, key) == Decimal(want), (key, case.words)
        else:
            assert getattr(e, key) == want, (key, case.words)
    for index, words in case.not_counted.items():
        outcome = next(o for o in e.completions if o.completion_id == index + 1)
        assert outcome.outcome == "not_counted" and words in outcome.reason, (outcome.reason, case.words)


def test_every_shipped_rule_set_has_golden_cases():
    assert {c.code for c in CASES} == set(_RULES)


@pytest.mark.parametrize(
    ("code", "issued", "ends", "words"),
    [
        (
            "MI-CPSS",
            "2009-11-14",
            [
                "2011-11-01",
                "2013-11-01",
                "2015-11-01",
                "2017-11-01",
                "2019-11-01",
                "2021-11-01",
                "2023-11-01",
                "2025-11-01",
            ],
            "mipeers.org: 'My certification date is November 14, 2009 ... My certification will renew/expire on "
            "November 1, 2025'",
        ),
        (
            "MI-CPSS",
            "2021-08-10",
            ["2023-08-01", "2025-08-01"],
            "mipeers.org: 'my PRC certification date is August 10, 2021 ... will renew/expire on August 1, 2025'",
        ),
        (
            "MS-CPSSP",
            "2012-06-01",
            ["2015-09-30", "2019-09-30", "2023-09-30", "2027-09-30"],
            "Miss. Admin. Code 24-5-7: 'September 30, 2015, September 30, 2019, etc.'",
        ),
        (
            "NE-CPSS",
            "2020-01-15",
            ["2021-09-01", "2023-09-01", "2025-09-01"],
            "206 NAC 7-002: 'September 1st of each odd numbered year'",
        ),
        (
            "GA-CPS-MH",
            "2022-06-15",
            ["2022-12-31", "2023-12-31", "2024-12-31"],
            "gmhcn.org: 'The cycle will then repeat, beginning in January 2024'",
        ),
        ("NY-NYCPS", "2021-06-01", ["2022-06-01", "2023-06-01"], "nypscb.org: 'renewed from 6/1/2022 - 6/1/2023'"),
    ],
)
def test_the_boards_expiry_dates_over_many_cycles(code: str, issued: str, ends: list[str], words: str):
    rs = _RULES[code]
    bounds = iter_cycle_bounds(rs, d(issued))
    assert [next(bounds)[1] for _ in ends] == [d(e) for e in ends], words
