"""`peer-ce status`: the peer's thin client over HTTP (httpx), rendered with rich.

It shows what the status page shows: each certification's status, dates, progress per requirement,
the engine's reasons and approved courses that would close the gap. The exit code is for scripts:
0 when every certification is compliant or in progress, 1 when any is due soon or worse, 2 on error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
        response = client.get("/v1/me/certifications", headers={"Authorization": f"Bearer {token}",
                                                               "Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise StatusError(f"cannot reach {client.base_url}: {exc}") from exc
    if response.status_code == 401:
        raise StatusError(f"the token was refused ({_problem(response)}); ask for a new one")
    if response.status_code == 403:
        raise StatusError(f"this is not a peer's token ({_problem(response)})")
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


def gap_courses(client: httpx.Client, compliance: dict[str, Any], completions: Sequence[dict[str, Any]] = (),
                limit: int = 3) -> list[tuple[str, list[dict]]]:
    """Approved catalog courses for each category still short of hours, then for the total.

    Courses the peer already completed in this cycle are left out: a course counts once per cycle.
    """
    if compliance["status"] in HOLDS:
        return []
    groups = [(r.get("label") or r["category"].replace("-", " "), {"category": r["category"]})
              for r in compliance["categories"] if r["remaining_hours"] > 0]
    if compliance["remaining_hours"] > 0:
        groups.append(("any approved course", {}))
    out: list[tuple[str, list[dict]]] = []
    seen = {c["course_id"] for c in completions if c.get("course_id") and c["status"] in ("accepted", "pending")
            and compliance["cycle_start"] <= c["completed_on"] <= compliance["cycle_end"]}
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


def _row(table: Table, label: str, earned: float, required: float, note: str = "") -> None:
    done = earned >= required
    bar = ProgressBar(total=max(required, 0.01), completed=min(earned, required), width=24,
                      complete_style="green" if done else "blue", finished_style="green")
    left = "✓ met" if done else f"{max(required - earned, 0):g} h to go"
    table.add_row(label, bar, f"{earned:g} / {required:g} h", left + (f" · {note}" if note else ""))


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
        _row(table, m.get("label") or " or ".join(m["modalities"]).replace("_", " ") + " (minimum)",
             m["earned_hours"], m["required_hours"])
    for o in c["other_requirements"]:
        if o["required_hours"] is not None:
            _row(table, o["description"], o["earned_hours"] or 0, o["required_hours"])
        else:
            table.add_row(o["description"], "", "", "✓ met" if o["met"] else "○ not yet recorded")
    for cap in c["caps"]:
        what = (cap["modality"] or cap["category"] or "").replace("_", " ").replace("-", " ")
        _row(table, f"cap on {what} hours", cap["used_hours"], cap["max_hours"],
             "cap reached: more does not count" if cap["reached"] else "")
    return table


def render(console: Console, data: dict[str, Any], gaps: dict[int, list[tuple[str, list[dict]]]]) -> None:
    items = data["items"]
    if not items:
        console.print("No certification is recorded for you yet.")
        return
    person = items[0]["certification"]["person"]
    console.print(f"[bold]{person['given_name']} {person['family_name']}[/] · CE status as of "
                  f"{items[0]['compliance']['as_of']}")
    for item in items:
        cert, c = item["certification"], item["compliance"]
        word, icon, colour = STATUS.get(c["status"], (c["status"], "?", "white"))
        head = Text.assemble((f"{icon} {word}", f"bold {colour}"), "  ",
                             f"{cert['credential_code']} ({cert['state']}) No. {cert['number']}")
        dates = (f"Cycle {c['cycle_start']} to {c['cycle_end']} · due by {c['cycle_end']} · grace ends "
                 f"{c['grace_ends_on']}" + (f" · next change {c['next_change_on']}" if c.get("next_change_on") else ""))
        parts: list[Any] = [Text(dates, style="dim"), requirements_table(c)]
        if c["reasons"]:
            parts.append(Text("Why:", style="bold"))
            parts.extend(Text(f"  • {reason}") for reason in c["reasons"])
        for label, courses in gaps.get(cert["id"], []):
            parts.append(Text(f"Courses that would close your gap: {label}", style="bold"))
            if not courses:
                parts.append(Text("  none approved in the catalog yet", style="dim"))
            for course in courses:
                approval = next((a for a in course.get("approvals", [])
                                 if a["credential_code"] == cert["credential_code"]), None)
                hours = approval["hours"] if approval and approval["hours"] is not None else course["hours"]
                parts.append(Text(f"  • {course['title']} ({_hours(hours)}, {course['modality'].replace('_', ' ')},"
                                  f" {course['provider']['name']})"))
        console.print(Panel(Group(*parts), title=head, title_align="left", border_style=colour))


def exit_code(data: dict[str, Any]) -> int:
    """0 when every certification is compliant or in progress, 1 otherwise."""
    return OK if all(i["compliance"]["status"] in FINE for i in data["items"]) else ATTENTION


def show_status(*, url: str, token: str, as_json: bool = False, timeout: float = 15.0,
                console: Console | None = None, err_console: Console | None = None,
                transport: httpx.BaseTransport | None = None) -> int:
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
            gaps = {i["certification"]["id"]: gap_courses(client, i["compliance"], mine) for i in data["items"]}
    except StatusError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return ERROR
    except httpx.InvalidURL as exc:
        err.print(f"[bold red]error:[/] invalid --url {url!r}: {exc}", highlight=False)
        return ERROR
    render(console, data, gaps)
    return exit_code(data)
