"""Impact before change at a state's scale (issue 17): a dry-run rule publish over the certifications of one
credential, timed through the app.

    python -m bench.impact                              # 50,000 NC-CPSS certifications, ~12 completions each
    python -m bench.impact --certifications 5000 --keep # smaller, and keep the peer_ce_bench_impact database

Creates its own throwaway database (peer_ce_bench_impact, on PostgreSQL at 127.0.0.1, dropped at the end),
migrates it and loads the shipped content, then generates one state's population of one credential
(default NC-CPSS): people, certifications issued over twelve years, and completions of a 40-course catalog
spread over each certification's cycles (most holders keep up, some fall short, some stop), loaded with
COPY; a full sweep records the renewals. Then, as an admin through the ASGI app (auth, unit of work,
rendering included; no HTTP server), it publishes the credential's next version with `?dry_run=true`
(adding a 2-hour ethics category from the credential's first effective date, so every cycle of every
certification is evaluated anew) three times, and reports the median and every run. The answer lists each
certification whose status, cycle or hours would change, and the counts by status before and after.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from bench.common import (
    DEFAULT_SERVER_URL,
    RESULTS_DIR,
    drop_database,
    log,
    machine,
    only_loopback,
    postgres_version,
    recreate_database,
    settings_for,
)

DATABASE = "peer_ce_bench_impact"
COURSES = 40


def generate(engine, *, code: str, certifications: int, seed: int, today: date) -> dict[str, int]:  # noqa: ANN001
    """One credential's population: people, certifications, completions (COPY)."""
    from sqlalchemy import text

    from bench.generate import COMPLETION_COLUMNS, Writer, _finish

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        state = conn.execute(text("SELECT state FROM rule_set_version WHERE code = :c LIMIT 1"), {"c": code}).scalar()
        provider_id = conn.execute(
            text(
                "INSERT INTO provider (name, kind, created_at, updated_at) "
                "VALUES ('Impact bench provider (synthetic)', 'training_center', :now, :now) RETURNING id"
            ),
            {"now": now},
        ).scalar()
        courses = []
        for i in range(COURSES):
            hours = rng.choice((100, 150, 200, 300, 400, 600))
            modality = rng.choice(("in_person", "live_virtual", "self_paced"))
            cid = conn.execute(
                text(
                    "INSERT INTO course (provider_id, external_id, title, hours, modality, status, facts_token, "
                    "created_at, updated_at) VALUES (:p, :e, :t, :h, :m, 'published', :tok, :now, :now) RETURNING id"
                ),
                {
                    "p": provider_id,
                    "e": f"IMP-{i}",
                    "t": f"Impact course {i} (synthetic)",
                    "h": hours,
                    "m": modality,
                    "tok": f"bench-{i}",
                    "now": now,
                },
            ).scalar()
            courses.append((cid, f"Impact course {i} (synthetic)", hours, modality))
    writer = Writer(engine)
    people, certs, completions = [], [], []
    for n in range(1, certifications + 1):
        people.append(
            (
                n,
                "Peer",
                f"Impact{n}",
                f"impact{n}@bench.example.org",
                None,
                rng.randint(1, 12),
                rng.randint(1, 28),
                state,
                now,
                now,
            )
        )
        issued = today - timedelta(days=int(rng.triangular(0, 12 * 365, 2 * 365)))
        certs.append((n, n, code, state, f"{code}-IMP-{n:07d}", issued, "in_progress", True, 1, now, now))
        keeps_up = rng.random()
        day, stop = (
            issued + timedelta(days=rng.randint(20, 120)),
            today if keeps_up < 0.85 else issued + timedelta(days=rng.randint(200, 900)),
        )
        per_year = 5 if keeps_up < 0.7 else 3  # courses of 1-6 hours; NC asks 20 hours in 24 months
        while day <= min(stop, today):
            cid, title, hours, modality = rng.choice(courses)
            completions.append(
                (
                    n,
                    cid,
                    title,
                    "Impact bench provider (synthetic)",
                    hours,
                    modality,
                    day,
                    "accepted",
                    "provider",
                    None,
                    None,
                    "bench",
                    None,
                    "[]",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    now,
                )
            )
            day += timedelta(days=int(rng.expovariate(per_year / 365)) + 1)
    writer.write(
        "person",
        (
            "id",
            "given_name",
            "family_name",
            "email",
            "external_ref",
            "birth_month",
            "birth_day",
            "registered_by_state",
            "created_at",
            "updated_at",
        ),
        people,
    )
    writer.write(
        "certification",
        (
            "id",
            "person_id",
            "credential_code",
            "state",
            "number",
            "issued_on",
            "status",
            "dirty",
            "row_version",
            "created_at",
            "updated_at",
        ),
        certs,
    )
    writer.write("completion", COMPLETION_COLUMNS, completions)
    writer.commit()
    writer.close()
    _finish(engine)
    return dict(writer.rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certifications", type=int, default=50_000)
    parser.add_argument("--credential", default="NC-CPSS")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    only_loopback(args.server_url)

    from fastapi.testclient import TestClient

    from app.auth.tokens import load_or_create_dev_key, mint_dev_token
    from app.clock import Clock
    from app.content import load_shipped_content
    from app.db import make_engine, make_session_factory
    from app.main import create_app
    from app.migrate import upgrade_to_head
    from app.scheduler.sweep import run_sweep

    started = time.perf_counter()
    db_url = recreate_database(args.server_url, DATABASE)
    data_dir = RESULTS_DIR / "work-impact"
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_for(db_url, data_dir)
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine)
        load_shipped_content(make_session_factory(engine), settings.content_dir)
        log(f"generating {args.certifications} {args.credential} certifications")
        rows = generate(
            engine,
            code=args.credential,
            certifications=args.certifications,
            seed=args.seed,
            today=datetime.now(UTC).date(),
        )
        log(f"  {rows}; first full sweep (renewals)")
        sweep = run_sweep(
            make_session_factory(engine), engine, settings=settings, clock=Clock(), full=True, triggered_by="bench"
        )
        log(f"  swept {sweep.evaluated} in {sweep.duration_ms} ms, {sweep.renewed} renewals recorded")
        load_or_create_dev_key(settings.dev_key_path)
        token = mint_dev_token(settings, role="admin", subject="bench", ttl_seconds=3600)
        seconds: list[float] = []
        body: dict = {}
        with TestClient(create_app(settings, engine=engine)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            rules = copy.deepcopy(client.get(f"/v1/credentials/{args.credential}").json()["current"]["rules"])
            rules["requirements"]["categories"] = [{"category": "ethics", "min_hours": 2}]
            for run in range(args.runs):
                t = time.perf_counter()
                response = client.put(f"/v1/credentials/{args.credential}", params={"dry_run": "true"}, json=rules)
                seconds.append(time.perf_counter() - t)
                if response.status_code != 200:
                    raise SystemExit(f"dry run answered {response.status_code}: {response.text[:500]}")
                body = response.json()
                log(f"  dry run {run + 1}: {seconds[-1]:.2f} s, {len(body['changes'])} changes")
            versions = client.get(f"/v1/credentials/{args.credential}").json()["versions"]
        result = {
            "scenario": "dry-run rule publish",
            "credential": args.credential,
            "certifications": args.certifications,
            "rows": rows,
            "dry_run_seconds": round(statistics.median(seconds), 3),
            "all_seconds": [round(s, 3) for s in seconds],
            "changes": len(body.get("changes", ())),
            "counts": body.get("counts"),
            "versions_after": len(versions),
            "database": postgres_version(db_url),
            "machine": machine(),
            "elapsed_seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(result), flush=True)
        return 0
    finally:
        engine.dispose()
        if not args.keep:
            drop_database(args.server_url, DATABASE)


if __name__ == "__main__":
    raise SystemExit(main())
