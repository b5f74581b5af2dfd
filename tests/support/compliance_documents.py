"""Compliance documents of seeded generated certifications, as the running build makes them.

    PEER_CE_COMPILED=0 python -m tests.support.compliance_documents OUT [--certs N] [--seed S]

Writes the documents (`presenters.compliance_json`, one per line) to OUT and prints the build in use
(`app.build.engine_build`). The inputs are bench/engine_micro.py's seeded certifications over every shipped
rule set; each goes through the read model's own code (its `CertRow`, packed renewals unpacked,
`facts.certification_facts`, `facts.evaluate`), so both the engine and the compiled read model are exercised.
tests/compliance/test_builds.py runs it once per build and compares the bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.build import engine_build
from app.certifications.presenters import compliance_json
from app.compliance.facts import Inputs, certification_facts, evaluate
from app.compliance.rows import CertRow, RenewalRecord
from bench.engine_micro import AS_OF, Case, cases


def _row(k: int, case: Case) -> CertRow:
    f = case.facts
    packed = ",".join(
        f"{r.cycle_start}|{r.cycle_end}|{r.recorded_on}|{'b' if r.by_board else 's'}|{r.reopened_on or ''}|{i}"
        for i, r in enumerate(f.renewals)
    )
    birthday = f.birth_month_day or (None, None)
    return CertRow(
        id=k + 1,
        person_id=k + 1,
        credential_code=f.credential_code,
        state="XX",
        issued_on=f.issued_on,
        birth_month=birthday[0],
        birth_day=birthday[1],
        cycle_option=f.cycle_option,
        variants=",".join(f.variants),
        rules_key=None,
        has_actions=bool(f.board_actions),
        has_activities=bool(case.activities),
        renewals=packed or None,
        registered_cycle_start=None,
        registered_cycle_end=None,
        registered_carryover=None,
        registered_on=None,
    )


def documents(certs: int, seed: int) -> list[bytes]:
    out = []
    for k, case in enumerate(cases(certs, seed)):
        row = _row(k, case)
        renewals = RenewalRecord.unpack(row.renewals)
        inputs = Inputs(
            cert=row,
            versions=list(case.versions),
            facts=certification_facts(row, case.facts.board_actions, renewals),
            completions=list(case.completions),
            activities=list(case.activities),
            renewals=renewals,
        )
        out.append(compliance_json(row, evaluate(inputs, as_of=AS_OF), AS_OF))
        brief = evaluate(inputs, as_of=AS_OF, explain=False)  # the sweep's evaluation: same status and dates
        out.append(f"{brief.status} {brief.cycle_end} {brief.next_change_on} {brief.earned_hours}".encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--certs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    args.out.write_bytes(b"\n".join(documents(args.certs, args.seed)) + b"\n")
    print(engine_build())


if __name__ == "__main__":
    main()
