"""The scope walk: every operation of the OpenAPI document, with every role, against another scope's objects.

For each (operation, role, out-of-scope object): the answer is the table's refusal (401 anonymous on a
protected operation, 403 for what the role may never do, 404 for what it cannot see, the documented 422
where a refusal must look like an unknown id) as problem+json, or for a list a 200 without any foreign
item; no answer contains a foreign marker or id; every table's rows are unchanged. Controls prove the
refusals come from scope alone: the same request as an admin succeeds, and in-scope calls of each role
succeed and show the role's own objects.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.security import scope_tables as T
from tests.security import walker as W
from tests.security.world import PUBLIC_KINDS, ROLES

CASES = W.walk_cases()
_SKIP_PUBLIC = frozenset({"rate_limit_hit"})  # public limits count callers; they are not records


def _live(env, op_id: str) -> None:
    """The walked operation is still in the document the app serves, at the same method and path."""
    live = W.operations(env.document)
    assert live.get(op_id, (None, None))[:2] == W.OPERATIONS[op_id][:2], (
        f"{op_id}: openapi/openapi.json is stale (make openapi)"
    )


# --- the tables classify the whole document ---------------------------------------------------------


def test_every_operation_is_classified(walk_env):
    live = W.operations(walk_env.document)
    unclassified = sorted(set(live) - set(T.OPS) - set(T.PUBLIC))
    assert not unclassified, f"operations the scope walk does not classify (add them to OPS or PUBLIC): {unclassified}"
    assert not set(T.OPS) & set(T.PUBLIC)
    gone = sorted((set(T.OPS) | set(T.PUBLIC)) - set(live))
    assert not gone, f"the tables name operations the document no longer has: {gone}"
    assert live == W.OPERATIONS, "openapi/openapi.json differs from the app's document (make openapi)"
    for op_id, op in T.OPS.items():
        assert set(op.expect) == set(ROLES), f"{op_id}: an expectation for each of {ROLES}"
    for op_id, reason in T.PUBLIC.items():
        assert len(reason) > 10, f"{op_id}: say why it is public"


def test_every_route_is_in_the_document(walk_env):
    documented = {(m, p) for m, p, _ in W.operations(walk_env.document).values()}
    hidden = sorted(
        f"{m} {r.path}"
        for r in walk_env.app.routes
        if isinstance(r, APIRoute) and r.path.startswith("/v1")
        for m in r.methods
        if m != "HEAD" and (m, r.path) not in documented
    )
    assert not hidden, f"/v1 routes outside the OpenAPI document escape the walk: {hidden}"


def test_every_parameter_and_body_has_a_table_entry(walk_env):
    live = walk_env.document
    missing = []
    for op_id, (method, path, params) in W.operations(live).items():
        for role in ROLES:
            missing += [f"FOREIGN[{role}][{p}] ({op_id})" for p in params if p not in T.FOREIGN[role]]
        roles = T.POSITIVE.get(op_id, {})
        missing += [f"OWN_TARGETS[{r}][{p}] ({op_id})" for r in roles for p in params if p not in T.OWN_TARGETS[r]]
        if "requestBody" in live["paths"][path][method.lower()] and op_id not in T.BODIES:
            missing.append(f"BODIES[{op_id}]")
    assert not missing, f"unclassified parameters or bodies: {sorted(set(missing))}"


def test_every_listing_and_own_operation_has_a_positive_control():
    missing = [
        f"{op_id} as {role}"
        for op_id, op in T.OPS.items()
        for role, expect in op.expect.items()
        if expect in (T.LIST, T.OWN) and role not in T.POSITIVE.get(op_id, {})
    ]
    assert not missing, f"no positive control: {missing}"


# --- the walk ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("op_id,role,choice,variant", [c[:4] for c in CASES], ids=[c[4] for c in CASES])
def test_walk(env, op_id, role, choice, variant):
    _live(env, op_id)
    w, expect = env.world, T.OPS[op_id].expect[role]
    method, url, kw = W.request_for(w, op_id, W.resolve(w, choice), variant=variant)
    response = env.as_role(role).request(method, url, **kw)
    problems = []
    if expect == T.LIST:
        if response.status_code != 200:
            problems.append("expected 200 with no foreign item")
    else:
        allowed = expect if isinstance(expect, frozenset) else {expect}
        if response.status_code not in allowed:
            problems.append(f"expected {' or '.join(map(str, sorted(allowed)))}")
        problems += W.problem_issues(response)
    problems += W.leaks(response, role, w)
    problems += [f"rows changed: {c}" for c in W.changed_tables(*env.unchanged())]
    assert not problems, f"{op_id} as {role}: {'; '.join(problems)}\n{W.describe(response)}"


# The same request as an admin (who has every scope) succeeds: the object exists and the body is valid,
# so the role's refusal can only come from its scope.
_ADMIN = {}
for _op_id, _role, _choice, _variant, _label in CASES:
    if (
        T.OPS[_op_id].expect[_role] != T.LIST
        and _role != "anonymous"
        and _variant == 0
        and _op_id not in T.NO_ADMIN_CONTROL
    ):
        used = [*W.OPERATIONS[_op_id][2], *T.BODY_USES.get(_op_id, ())]  # what the path and the body use
        key = (_op_id, tuple(str(_choice.get(k)) for k in used))
        _ADMIN.setdefault(key, (_op_id, _role, _choice, _label))


@pytest.mark.parametrize("op_id,role,choice", [v[:3] for v in _ADMIN.values()], ids=[v[3] for v in _ADMIN.values()])
def test_admin_control(env, op_id, role, choice):
    w = env.world
    method, url, kw = W.request_for(w, op_id, W.resolve(w, choice))
    response = env.as_role("admin").request(method, url, **kw)
    assert 200 <= response.status_code < 300, (
        f"{op_id}: the walked request of {role} fails for an admin too, so it does not prove scope\n"
        f"{W.describe(response)}"
    )


# --- positive controls -------------------------------------------------------------------------------

_POSITIVE = [(op_id, role) for op_id, roles in T.POSITIVE.items() for role in roles]


@pytest.mark.parametrize("op_id,role", _POSITIVE, ids=[f"{o}-{r}" for o, r in _POSITIVE])
def test_positive_control(env, op_id, role):
    _live(env, op_id)
    w, spec = env.world, T.POSITIVE[op_id][role]
    choice = {**T.OWN_TARGETS[role], **spec.targets}
    method, url, kw = W.request_for(w, op_id, W.resolve(w, choice), body=spec.body, query=spec.query)
    response = env.as_role(role).request(method, url, **kw)
    problems = [] if response.status_code == spec.status else [f"expected {spec.status}"]
    if response.status_code < 300:
        problems += [f"does not show its own {e}" for e in W.evidence_missing(response, w, spec.evidence)]
    problems += W.leaks(response, role, w, allow=spec.allow)
    assert not problems, f"{op_id} as {role} in scope: {'; '.join(problems)}\n{W.describe(response)}"


_PARTS = [(role, *item) for role, items in T.SEE_ONLY_OWN_PARTS.items() for item in items]


@pytest.mark.parametrize(
    "role,op_id,targets,query",
    _PARTS,
    ids=[f"{o}-{r}-{'-'.join(map(str, {**t, **q}.values()))}" for r, o, t, q in _PARTS],
)
def test_visible_objects_show_only_in_scope_parts(env, role, op_id, targets, query):
    """A board sees the shared person, a provider its learners' completions: never their other scope."""
    w = env.world
    choice = {**T.OWN_TARGETS[role], **targets}
    query = {k: (w[v] if v in w.ids else v) for k, v in query.items()}  # world keys name ids
    method, url, kw = W.request_for(w, op_id, W.resolve(w, choice), query=query)
    response = env.as_role(role).request(method, url, **kw)
    problems = [] if response.status_code == 200 else ["expected 200"]
    problems += W.leaks(response, role, w)
    assert not problems, f"{op_id} as {role}: {'; '.join(problems)}\n{W.describe(response)}"


# --- public operations -------------------------------------------------------------------------------

_PUBLIC = [(op_id, role) for op_id in T.PUBLIC for role in ROLES]


@pytest.mark.parametrize("op_id,role", _PUBLIC, ids=[f"{o}-{r}" for o, r in _PUBLIC])
def test_public_operation_shows_nothing_private(env, op_id, role):
    """Public answers (about other scopes' objects) carry no private data; verification shows the name."""
    _live(env, op_id)
    w = env.world
    choice = {name: values[0] for name, values in T.FOREIGN[role].items()}
    method, url, kw = W.request_for(w, op_id, W.resolve(w, choice))
    response = env.as_role(role).request(method, url, **kw)
    problems = (
        []
        if response.status_code < 500 and response.status_code not in (401, 403)
        else ["a public operation must answer anyone"]
    )
    allow = frozenset(PUBLIC_KINDS) if op_id == "verifyCertification" else frozenset()
    problems += [p for p in W.leaks(response, role, w, allow=allow) if p.startswith("marker")]
    problems += [f"rows changed: {c}" for c in W.changed_tables(*env.unchanged(skip=_SKIP_PUBLIC))]
    assert not problems, f"{op_id} as {role}: {'; '.join(problems)}\n{W.describe(response)}"
