"""The mechanics of the scope walk: cases from the tables, requests from the world, and the checks."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from tests.security import scope_tables as T
from tests.security.world import BOARD, PEER, PROVIDER, World, foreign_markers

DOCUMENT = json.loads((Path(__file__).parents[2] / "openapi" / "openapi.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM = "application/problem+json"


def operations(document: dict) -> dict[str, tuple[str, str, list[str]]]:
    """operationId -> (METHOD, path template, path parameter names)."""
    out = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                params = [p["name"] for p in item.get("parameters", []) + op.get("parameters", []) if p["in"] == "path"]
                out[op["operationId"]] = (method.upper(), path, params)
    return out


OPERATIONS = operations(DOCUMENT)


def _choices(op_id: str, role: str, params: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(label, {name: world key or Lit}) for each case: the defaults, then one case per further candidate."""
    table = T.FOREIGN[role]

    def candidates(name: str) -> list:
        found = table.get(name, [])
        prefix = T.NEEDS.get((op_id, name))
        return [c for c in found if prefix is None or (isinstance(c, str) and c.startswith(prefix))]

    base = {name: (candidates(name) or table[name])[0] for name in table}
    out = [("-".join(_label(base.get(p)) for p in params) or "none", base)]
    for name in params:
        for other in candidates(name)[1:]:
            choice = {**base, name: other}
            out.append(("-".join(_label(choice.get(p)) for p in params), choice))
    return out


def _label(value: Any) -> str:
    return str(value.value) if isinstance(value, T.Lit) else str(value)


def walk_cases() -> list[tuple[str, str, dict, int, str]]:
    """(operationId, role, choice, variant index, test id) of every refused or listed call of the walk."""
    cases = []
    for op_id, op in T.OPS.items():
        if op_id not in OPERATIONS:
            continue  # test_every_operation_is_classified names it
        params = OPERATIONS[op_id][2]
        for role, expect in op.expect.items():
            if expect == T.OWN:
                continue
            for label, choice in _choices(op_id, role, params):
                for v in range(len(op.variants)):
                    cases.append((op_id, role, choice, v, f"{op_id}-{role}-{label}" + (f"-q{v}" if v else "")))
    return cases


def resolve(w: World, choice: dict[str, Any]) -> dict[str, Any]:
    """World keys and literals -> values; `email` and `family_name` of the chosen person come along."""
    t = {name: (v.value if isinstance(v, T.Lit) else w[v]) for name, v in choice.items()}
    person = choice.get("person_id")
    if isinstance(person, str):
        t["email"], t["family_name"] = T.EMAIL.get(person), T.FAMILY.get(person)
    return t


def request_for(
    w: World, op_id: str, t: dict, *, variant: int = 0, body=None, query: dict | None = None
) -> tuple[str, str, dict]:
    method, path, params = OPERATIONS[op_id]
    url = path.format(**{p: t[p] for p in params})
    kw: dict[str, Any] = {}
    builder = body or T.BODIES.get(op_id)
    if builder is not None:
        kw.update(builder(w, t))
    op = T.OPS.get(op_id)
    params_ = dict(op.variants[variant](t)) if op else {}
    params_.update(query or {})
    if params_:
        kw["params"] = params_
    return method, url, kw


# --- what a role must never see --------------------------------------------------------------------


def foreign_refs(role: str, w: World) -> tuple[dict[str, set], set[tuple[str, str]]]:
    """({json key: ids that must not appear under it}, {(audit entity, entity_id)} that must not appear)."""
    va_only = {
        "person": [w["person_va"]],
        "certification": [w["cert_va"], w["cert_sh_va"]],
        "completion": [w["done_va_B"], w["pending_va"]],
        "webhook_subscription": [w["hook_VA"]],
        "webhook_delivery": [w["delivery_VA"]],
        "approval": [w["approval_A_VA"], w["approval_B_VA"], w["approval_draftB_VA"]],
    }
    if role == PROVIDER:
        certs = {w[k] for k in ("cert_nc", "cert_va", "cert_sh_nc", "cert_sh_va")}
        return (
            {"person_id": {w["person_va"]}, "certification_id": certs, "course_id": {w["course_B"], w["draft_B"]}},
            set(),
        )
    if role == PEER:
        return (
            {
                "person_id": {w["person_sh"], w["person_va"]},
                "certification_id": {w["cert_sh_nc"], w["cert_sh_va"], w["cert_va"]},
                "completion_id": {w["done_sh_A"], w["done_sh_B"], w["pending_sh"], w["done_va_B"], w["pending_va"]},
            },
            set(),
        )
    return (
        {
            "person_id": {w["person_va"]},
            "certification_id": {w["cert_va"], w["cert_sh_va"]},
            "completion_id": {w["done_va_B"], w["pending_va"]},
            "subscription_id": {w["hook_VA"]},
        },
        {(entity, str(i)) for entity, ids in va_only.items() for i in ids},
    )


def _walk_json(node: Any, keyed: dict[str, set], entities: set, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            # a changed field in an audit entry is [old, new]
            for one in value if isinstance(value, list) and key in keyed else [value]:
                if key in keyed and isinstance(one, (int, str)) and one in keyed[key]:
                    found.append(f"{key}={one}")
        entity, entity_id = node.get("entity"), node.get("entity_id")
        if isinstance(entity, str) and isinstance(entity_id, str) and (entity, entity_id) in entities:
            found.append(f"audit entry of {entity} {entity_id}")
        for value in node.values():
            _walk_json(value, keyed, entities, found)
    elif isinstance(node, list):
        for value in node:
            _walk_json(value, keyed, entities, found)


def leaks(response, role: str, w: World, *, allow: frozenset[str] = frozenset()) -> list[str]:
    """Foreign markers in the body, and foreign ids in JSON fields that name them."""
    text = response.text.lower()
    found = [
        f"marker {name} ({marker!r})" for name, marker in foreign_markers(role, allow=allow).items() if marker in text
    ]
    # Ids in JSON answers (a refusal may echo the ids the caller sent: only markers count there).
    if (
        role in (BOARD, PROVIDER, PEER)
        and response.headers.get("content-type", "").startswith("application/json")
        and response.content
    ):
        keyed, entities = foreign_refs(role, w)
        _walk_json(response.json(), keyed, entities, found)
    return found


def evidence_missing(response, w: World, evidence: tuple[str, ...]) -> list[str]:
    """The evidence (marker names, or world keys whose id must be an item's id) the answer lacks."""
    from tests.security.world import M

    text = response.text.lower()
    ids: set = set()
    if response.headers.get("content-type", "").startswith("application/json"):
        _ids(response.json(), ids)
    elif response.headers.get("content-type", "").startswith("text/csv"):
        ids = {row.get("id") for row in csv.DictReader(io.StringIO(response.text))}
    return [
        e
        for e in evidence
        if (e in M and M[e] not in text) or (e not in M and w[e] not in ids and str(w[e]) not in ids)
    ]


def _ids(node: Any, out: set) -> None:
    if isinstance(node, dict):
        for key in ("id", "certification_id", "completion_id"):
            if key in node and not isinstance(node[key], (dict, list)):
                out.add(node[key])
        for value in node.values():
            _ids(value, out)
    elif isinstance(node, list):
        for value in node:
            _ids(value, out)


def problem_issues(response) -> list[str]:
    """Why an error answer is not RFC 9457 problem+json (empty when it is)."""
    if not response.headers.get("content-type", "").startswith(PROBLEM):
        return [f"content-type {response.headers.get('content-type')!r}, not {PROBLEM}"]
    body = response.json()
    return [] if body.get("status") == response.status_code and body.get("title") else [f"problem body {body}"]


def changed_tables(before: dict, after: dict) -> list[str]:
    return [
        f"{name}: {before.get(name, (0, ''))[0]} -> {after.get(name, (0, ''))[0]} rows"
        + ("" if before.get(name, (0,))[0] != after.get(name, (0,))[0] else " (contents changed)")
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


def normalized(problem: dict, *values: Any) -> dict:
    """A problem document without request_id/instance, with the given values replaced by a placeholder."""
    patterns = [re.compile(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])") for value in values]

    def scrub(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: scrub(v) for k, v in item.items()}
        if isinstance(item, list):
            return [scrub(v) for v in item]
        if isinstance(item, int) and not isinstance(item, bool) and str(item) in map(str, values):
            return "<value>"
        if isinstance(item, str):
            for pattern in patterns:
                item = pattern.sub("<value>", item)
        return item

    return scrub({k: v for k, v in problem.items() if k not in ("request_id", "instance")})


def describe(response, limit: int = 600) -> str:
    return f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:limit]}"
