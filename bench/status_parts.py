"""CPU of each part of a compliance answer, taken one at a time, beside the status baseline's work.

`make bench-quick` measures whole requests; this splits the app's work into the parts the route runs in
turn, on the same random certifications, with warm caches and no HTTP server (PostgreSQL only). After a
`make bench-quick BENCH_ARGS=--keep`:

    .venv/bin/python -m bench.status_parts                  # 3,000 random certifications
    .venv/bin/python -m bench.status_parts --requests 10000

Each figure is CPU time per certification (`time.process_time`: waiting on PostgreSQL is not counted),
one part after another over the same ids, so caches and branch predictors are as warm as they get: in
the server, between two answers, the framework's own code runs too, and the same work costs more (see
bench/README.md). Read them as shares, not as what a request costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Callable
from typing import Any

from bench.common import BENCH_DATABASE, DEFAULT_SERVER_URL, database_url, libpq_url


async def _fetch(conn: Any, query: Any, params: dict[str, Any]) -> list[Any]:
    sql, defaults = query.postgres_sql()
    async with conn.cursor() as cursor:
        await cursor.execute(sql, {**defaults, **params}, binary=True)  # as app.reads.PoolReads does
        return query.typed(await cursor.fetchall())


async def measure(url: str, requests: int, seed: int) -> dict[str, float]:
    import psycopg

    from app.auth.principal import Principal, Role
    from app.certifications import presenters, service
    from app.clock import Clock
    from app.compliance import facts as evaluation
    from app.compliance import queries
    from app.reads import PoolReads
    from app.rules import engine
    from bench.baseline_app import CERTIFICATION_SQL, COMPLETIONS_SQL, _payload

    conn = await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True)
    reads = PoolReads(url, min_size=1, max_size=1)
    await reads.open()
    try:
        async with conn.cursor() as cursor:
            await cursor.execute("SELECT id FROM certification ORDER BY id")
            existing = [certification_id for (certification_id,) in await cursor.fetchall()]
        rng = random.Random(seed)
        ids = [rng.choice(existing) for _ in range(requests)]

        def everyone(cert: Any) -> bool:
            return True

        for certification_id in ids:  # warm: rule versions, course facts, prepared statements
            await reads.run(evaluation.one_plan(certification_id, everyone))

        cpu: dict[str, float] = {}

        async def timed(name: str, body: Callable[[int], Any]) -> list[Any]:
            out = []
            started = time.process_time()
            for certification_id in ids:
                out.append(await body(certification_id))
            cpu[name] = (time.process_time() - started) / len(ids) * 1e6
            return out

        async def app_query(certification_id: int) -> list[Any]:
            return await _fetch(conn, queries.ONE_WITH_COMPLETIONS, {"id": certification_id})

        rows = await timed("app: the compliance statement (psycopg, one connection)", app_query)

        async def baseline(certification_id: int) -> bytes:
            async with conn.cursor() as cursor:
                await cursor.execute(CERTIFICATION_SQL.format(p="%s"), (certification_id,))
                cert = await cursor.fetchone()
                await cursor.execute(COMPLETIONS_SQL.format(p="%s"), (cert[1],))  # type: ignore[index]
                return _payload(cert, await cursor.fetchall())  # type: ignore[arg-type]

        await timed("baseline: its two statements and its JSON", baseline)
        pending = iter(rows)

        async def inputs_of(certification_id: int) -> Any:  # the plan after its first query's rows
            plan = evaluation.one_plan(certification_id, everyone)
            next(plan)
            try:
                query, params = plan.send(next(pending))
                while True:  # board actions or activities, for the certifications that have any
                    query, params = plan.send(await _fetch(conn, query, params))
            except StopIteration as done:
                return done.value

        inputs = await timed("app: rows to the engine's inputs (and any actions, activities)", inputs_of)
        clock, by_id = Clock(), dict(zip(ids, inputs, strict=True))
        days = {i: evaluation.today_for(clock, item) for i, item in by_id.items()}

        async def bare(certification_id: int) -> Any:
            item = by_id[certification_id]
            return engine.evaluate(
                versions=item.versions,
                facts=item.facts,
                completions=item.completions,
                activities=item.activities,
                as_of=days[certification_id],
                explain=False,
            )

        await timed("app: the engine without its reasons", bare)

        async def explained(certification_id: int) -> Any:
            return service._evaluate(by_id[certification_id], clock=clock, as_of=days[certification_id])

        results = dict(zip(ids, await timed("app: the engine with its reasons (as served)", explained), strict=True))

        async def render(certification_id: int) -> bytes:
            return presenters.compliance_json(by_id[certification_id].cert, *results[certification_id])

        documents = await timed("app: rendering the document", render)

        async def checkout(certification_id: int) -> None:
            async with reads.pool.connection():
                return None

        await timed("app: the read pool's checkout and return", checkout)
        admin = Principal(subject="bench", role=Role.admin)

        async def whole(certification_id: int) -> bytes:
            cert, result, day = await service.compliance(
                reads, principal=admin, certification_id=certification_id, clock=clock
            )
            return presenters.compliance_json(cert, result, day)

        served = await timed("app: all of it (service.compliance and rendering, on the pool)", whole)
        if served != documents:  # the parts are the route's own work, or their figures mean nothing
            raise AssertionError("the parts measured do not make up the documents served")
        return cpu
    finally:
        await reads.close()
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = os.environ.get("PEER_CE_DATABASE_URL") or database_url(DEFAULT_SERVER_URL, BENCH_DATABASE)
    if not url.startswith("postgresql"):
        raise SystemExit("status_parts measures the PostgreSQL reads: set PEER_CE_DATABASE_URL to one")
    try:
        import uvloop

        cpu = uvloop.run(measure(url, args.requests, args.seed))
    except ImportError:
        cpu = asyncio.run(measure(url, args.requests, args.seed))
    width = max(map(len, cpu))
    for name, micros in cpu.items():
        print(f"{name:<{width}}  {micros:6.0f} µs")


if __name__ == "__main__":
    main()
