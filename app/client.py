"""`peer-ce status`: the peer's thin client over HTTP (httpx), rendered with rich.

It shows what the status page shows: each certification's status, dates, progress per requirement,
the engine's reasons and approved courses that would close the gap. The exit code is for scripts:
0 when every certification is compliant or in progress, 1 when any is due soon or worse, 2 on error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

OK, ATTENTION, ERROR = 0, 1, 2
FINE = {"compliant", "in_progress"}
STATUS = {
    "compliant": ("Compliant", "✓", "green"),
    "in_progress": ("In progress", "◔", "blue"),
    "due_soon": ("Due soon", "!", "yellow"),
    "overdue": ("Overdue", "⚠", "red"),
    "lapsed": ("Lapsed", "✕", "red"),
    "suspended": ("Suspended", "⏸", "magenta"),
    "revoked": ("Revoked", "⛔", "magenta"),
    "inactive": ("Inactive", "–", "magenta"),
}
HOLDS = {"suspended", "revoked", "inactive"}
BOARD_ONLY = HOLDS | {"lapsed"}  # more CE does not change these: only the board can


class StatusError(Exception):
    """The status could not be read; the message says why, for a person."""


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.reason_phrase}"
    detail = body.get("detail") if isinstance(body, dict) else None
    title = body.get("title") if isinstance(body, dict) else None
    return f"{response.status_code} {title or response.reason_phrase}" + (f": {detail}" if detail else "")


def fetch(client: httpx.Client, token: str) -> dict[str, Any]:
    """GET /v1/me/certifications with the peer's token."""
    try:
        response = client.get(
            "/v1/me/certifications", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
    except httpx.HTTPError as exc:
        raise StatusError(f"cannot reach {client.base_url}: {exc}") from exc
    if response.status_code == 401:
        raise StatusError(f"the token was refused ({_problem(response)}); ask for a new one")
    if response.status_code == 403:
        raise StatusError(f"this is not a peer's token ({_problem(response)})")
    if response.status_code == 404:
        raise StatusError(f"no record matches this token ({_problem(response)})")
    if response.status_code != 200:
        raise StatusError(f"the service answered {_problem(response)}")
    try:
        return response.json()
    except ValueError as exc:
        raise StatusError(f"{client.base_url} did not answer with JSON; is it a peer-ce service?") from exc


def taken(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    """The peer's own completions (to leave out courses already taken this cycle); empty if unavailable."""
    try:
        response = client.get("/v1/completions?limit=500", headers={"Authorization": f"Bearer {token}"})
        return response.json()["items"] if response.status_code == 200 else []
    except (httpx.HTTPError, ValueError, KeyError):
        return []


def credentials(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """The public credentials by code (names, boards, their current rules: contact, grace); empty if unavailable."""
    try:
        response = client.get("/v1/credentials?limit=200", headers={"Accept": "application/json"})
        return {c["code"]: c for c in response.json()["items"]} if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError, KeyError):
        return {}


def day(iso: str) -> str:
    """A calendar date as people write it: Nov 30, 2026."""
    d = date.fromisoformat(iso)
    return f"{d:%b} {d.day}, {d.year}"


def num(value: float | int) -> str:
    """Hours with two decimals only where needed."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def plain(reason: str, titles: dict[int, str]) -> str:
    """The engine's reasons for people: plain dates, no trailing zeros, course titles instead of record ids."""
    text = re.sub(r"Completion #(\d+) \((.+?), (\d{4}-\d{2}-\d{2})\)", r'"\2" (\3)', reason)
    text = re.sub(
        r"Completion #(\d+) \((\d{4}-\d{2}-\d{2})\)", lambda m: f'"{titles.get(int(m[1]), "A course")}" ({m[2]})', text
    )
    text = re.sub(
        r"completion #(\d+)", lambda m: f'"{titles[int(m[1])]}"' if int(m[1]) in titles else "another record", text
    )
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", lambda m: day(m[0]), text)
    return re.sub(r"\b(\d+)\.(\d\d)\b", lambda m: num(float(m[0])), text)


def contact_line(credential: dict[str, Any] | None) -> str:
    rules = (credential or {}).get("current", {}).get("rules", {})
    who = rules.get("contact")
    if not who:
        body = (credential or {}).get("body")
        return f"Contact your certification board{f' ({body})' if body else ''}."
    ways = [w for w in (who.get("url"), who.get("email"), who.get("phone")) if w]
    return f"Contact {who['name']}: {', '.join(ways)}."


def next_step(
    c: dict[str, Any], credential: dict[str, Any] | None, completions: Sequence[dict[str, Any]] = ()
) -> list[str]:
    """What to do next and by when, for one certification (the status page says the same)."""
    rules = (credential or {}).get("current", {}).get("rules", {})
    status, left = c["status"], c["remaining_hours"] > 0
    open_ = (
        sum(r["remaining_hours"] > 0 for r in c["categories"])
        + sum(m["remaining_hours"] > 0 for m in c["modality_minimums"])
        + sum(not o["met"] for o in c["other_requirements"])
    )
    need = (
        f"earn {num(c['remaining_hours'])} more hours"
        if left
        else f"complete the {open_} open requirement{'s' if open_ > 1 else ''}"
    )
    pending = [x for x in completions if x.get("status") == "pending" and x["completed_on"] >= c["cycle_start"]]
    waiting = (
        [f"{len(pending)} of your reports {'is' if len(pending) == 1 else 'are'} waiting for board review."]
        if pending
        else []
    )
    due = c.get("filing_due_on") or c["cycle_end"]
    if status == "compliant":
        start = date.fromisoformat(c["cycle_end"]) + timedelta(days=1)
        return [f"Nothing for now: this cycle is complete. Your next cycle starts on {day(start.isoformat())}."]
    if status in ("in_progress", "due_soon"):
        return [f"Next: {need} by {day(due)}.", *waiting] if left or open_ else []
    if status == "overdue":
        if c["as_of"] <= c["cycle_end"]:
            return [
                f"Late: the renewal was due by {day(due)}. {need.capitalize()} by {day(c['cycle_end'])} and file "
                "your renewal as soon as you can.",
                contact_line(credential),
                *waiting,
            ]
        if rules.get("grace_counts_ce", True) and (left or open_):
            return [
                f"Late: the cycle ended on {day(c['cycle_end'])}. You are in the grace period: {need} by "
                f"{day(c['grace_ends_on'])}, when it ends; after that the certification lapses.",
                contact_line(credential),
                *waiting,
            ]
        return [
            f"Late: the cycle ended on {day(c['cycle_end'])} and CE taken after it does not count. Ask your board "
            f"about a late renewal before {day(c['grace_ends_on'])}.",
            contact_line(credential),
        ]
    if status == "lapsed":
        grace = f" and the grace period on {day(c['grace_ends_on'])}" if c["grace_ends_on"] != c["cycle_end"] else ""
        return [
            f"Lapsed: the cycle ended on {day(c['cycle_end'])}{grace} with requirements unmet. More CE will not "
            "bring it back: only your board can reinstate it.",
            contact_line(credential),
        ]
    if status in HOLDS:
        what = "is not active" if status == "inactive" else f"was {status} by your board"
        return [
            f"This certification {what}; courses will not change that. Ask your board what happened and what "
            "they need from you.",
            contact_line(credential),
        ]
    return []


def gap_courses(
    client: httpx.Client,
    compliance: dict[str, Any],
    completions: Sequence[dict[str, Any]] = (),
    limit: int = 3,
    approved_only: bool = True,
) -> list[tuple[str, list[dict]]]:
    """Approved catalog courses for each category still short of hours, then for the total.

    Courses the peer already completed in this cycle are left out: a course counts once per cycle.
    """
    if compliance["status"] in BOARD_ONLY:
        return []
    groups = [
        (r.get("label") or r["category"].replace("-", " "), {"category": r["category"]})
        for r in compliance["categories"]
        if r["remaining_hours"] > 0
    ]
    if compliance["remaining_hours"] > 0:
        groups.append(("any approved course" if approved_only else "any course", {}))
    out: list[tuple[str, list[dict]]] = []
    seen = {
        c["course_id"]
        for c in completions
        if c.get("course_id")
        and c["status"] in ("accepted", "pending")
        and compliance["cycle_start"] <= c["completed_on"] <= compliance["cycle_end"]
    }
    for label, extra in groups:
        query = urlencode({"credential_code": compliance["credential_code"], **extra, "limit": limit + 3})
        try:
            response = client.get(f"/v1/courses?{query}", headers={"Accept": "application/json"})
            items = response.json()["items"] if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError, KeyError):
            items = []
        fresh = [c for c in items if c["id"] not in seen][:limit]
        seen.update(c["id"] for c in fresh)
        out.append((label, fresh))
    return out


def _hours(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:g} h"


def _row(table: Table, label: str, earned: float, required: float, note: str = "", cap: bool = False) -> None:
    done = earned >= required
    bar = ProgressBar(
        total=max(required, 0.01),
        completed=min(earned, required),
        width=24,
        complete_style=("yellow" if cap else "green") if done else "blue",
        finished_style="green",
    )
    if cap:  # a limit, not a requirement: reaching it is nothing to tick off
        left = "limit reached: more does not count" if done else f"a limit: at most {num(required)} h count"
    else:
        left = "✓ met" if done else f"{num(max(required - earned, 0))} h to go"
    table.add_row(label, bar, f"{num(earned)} / {num(required)} h", left + (f" · {note}" if note else ""))


def requirements_table(c: dict[str, Any]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, box=None, padding=(0, 1))
    table.add_column("Requirement")
    table.add_column("Progress")
    table.add_column("Hours", justify="right")
    table.add_column("")
    _row(table, "All CE hours", c["earned_hours"], c["required_hours"])
    for r in c["categories"]:
        _row(table, r.get("label") or r["category"].replace("-", " "), r["earned_hours"], r["required_hours"])
    for m in c["modality_minimums"]:
        _row(
            table,
            m.get("label") or " or ".join(m["modalities"]).replace("_", " ") + " (minimum)",
            m["earned_hours"],
            m["required_hours"],
        )
    for o in c["other_requirements"]:
        if o["required_hours"] is not None:
            _row(table, o["description"], o["earned_hours"] or 0, o["required_hours"])
        else:
            table.add_row(o["description"], "", "", "✓ met" if o["met"] else "○ not yet recorded")
    for cap in c["caps"]:
        what = (cap["modality"] or cap["category"] or "").replace("_", " ").replace("-", " ")
        _row(table, f"limit on {what} hours", cap["used_hours"], cap["max_hours"], cap=True)
    return table


def render(
    console: Console,
    data: dict[str, Any],
    gaps: dict[int, list[tuple[str, list[dict]]]],
    known: dict[str, dict[str, Any]] | None = None,
    completions: Sequence[dict[str, Any]] = (),
) -> None:
    items = data["items"]
    if not items:
        console.print("No certification is recorded for you yet.")
        return
    person = items[0]["certification"]["person"]
    console.print(
        f"[bold]{person['given_name']} {person['family_name']}[/] · CE status as of "
        f"{day(items[0]['compliance']['as_of'])}"
    )
    known = known or {}
    titles = {x["id"]: x["title"] for x in completions}
    pending = {x["id"]: x for x in completions if x["status"] == "pending"}
    for item in items:
        cert, c = item["certification"], item["compliance"]
        word, icon, colour = STATUS.get(c["status"], (c["status"], "?", "white"))
        head = Text.assemble(
            (f"{icon} {word}", f"bold {colour}"),
            "  ",
            f"{cert['credential_code']} ({cert['state']}) No. {cert['number']}",
        )
        due = c.get("filing_due_on") or c["cycle_end"]
        dates = (
            f"Cycle {day(c['cycle_start'])} to {day(c['cycle_end'])} · "
            f"{'was due' if c['status'] in ('overdue', 'lapsed') else 'due'} by {day(due)} · "
            + (
                f"grace period ends {day(c['grace_ends_on'])}"
                if c["grace_ends_on"] != c["cycle_end"]
                else "no grace period"
            )
        )
        parts: list[Any] = [
            Text(line, style=f"bold {colour}") for line in next_step(c, known.get(cert["credential_code"]), completions)
        ]
        parts += [Text(dates, style="dim"), requirements_table(c)]
        if c["reasons"]:
            parts.append(Text("Why:", style="bold"))
            for reason in c["reasons"]:
                hit = re.match(r"Completion #(\d+) .*not accepted \(pending review or voided\)$", reason)
                if hit and int(hit[1]) in pending:
                    x = pending[int(hit[1])]
                    reason = (
                        f'"{x["title"]}" ({day(x["completed_on"])}) is waiting for board review (reported on '
                        f"{day(x['created_at'][:10])})"
                    )
                else:
                    reason = plain(reason, titles)
                parts.append(Text(f"  • {reason}"))
        for label, courses in gaps.get(cert["id"], []):
            parts.append(Text(f"Courses that would close your gap: {label}", style="bold"))
            if not courses:
                parts.append(Text("  none approved in the catalog yet", style="dim"))
            for course in courses:
                approval = next(
                    (a for a in course.get("approvals", []) if a["credential_code"] == cert["credential_code"]), None
                )
                hours = approval["hours"] if approval and approval["hours"] is not None else course["hours"]
                parts.append(
                    Text(
                        f"  • {course['title']} ({_hours(hours)}, {course['modality'].replace('_', ' ')},"
                        f" {course['provider']['name']})"
                    )
                )
        console.print(Panel(Group(*parts), title=head, title_align="left", border_style=colour))


def exit_code(data: dict[str, Any]) -> int:
    """0 when every certification is compliant or in progress, 1 otherwise."""
    return OK if all(i["compliance"]["status"] in FINE for i in data["items"]) else ATTENTION


def show_status(
    *,
    url: str,
    token: str,
    as_json: bool = False,
    timeout: float = 15.0,
    console: Console | None = None,
    err_console: Console | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Fetch and print the peer's status; returns the exit code."""
    console = console or Console()
    err = err_console or Console(stderr=True)
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=timeout, transport=transport) as client:
            data = fetch(client, token.strip())
            if as_json:
                console.print(json.dumps(data, indent=2), markup=False, highlight=False, soft_wrap=True)
                return exit_code(data)
            mine = taken(client, token.strip()) if data["items"] else []
            known = credentials(client) if data["items"] else {}
            gaps = {
                i["certification"]["id"]: gap_courses(
                    client,
                    i["compliance"],
                    mine,
                    approved_only=known.get(i["certification"]["credential_code"], {})
                    .get("current", {})
                    .get("rules", {})
                    .get("approved_only", True),
                )
                for i in data["items"]
            }
    except StatusError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return ERROR
    except httpx.InvalidURL as exc:
        err.print(f"[bold red]error:[/] invalid --url {url!r}: {exc}", highlight=False)
        return ERROR
    render(console, data, gaps, known, mine)
    return exit_code(data)
