"""The dataclasses of the compiled modules that define their own `__init__` (app/rules/engine/types.py says why)
define the one `@dataclass` would generate: every init field as a parameter, in order, with its default, each
stored once in its own field, and nothing else. Read from the sources, so it holds for both builds."""

from __future__ import annotations

import ast
import dataclasses
import importlib

import pytest

from app import build

# The classes that must keep their own __init__ (the ones built per certification or per completion).
EXPLICIT = {
    "app.rules.engine.types": {
        "Completion",
        "Activity",
        "CertificationFacts",
        "CategoryResult",
        "ModalityMinimumResult",
        "OtherResult",
        "CapResult",
        "CycleSummary",
        "CompletionOutcome",
        "Evaluation",
    },
    "app.rules.engine.counting": {"_Records"},
    "app.compliance.facts": {"Inputs"},
}


def _dataclasses(module: str) -> list[ast.ClassDef]:
    tree = ast.parse(build.module_source(module).read_text())
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(d).split("(")[0] == "dataclass" for d in node.decorator_list)
    ]


def _frozen(node: ast.ClassDef) -> bool:
    return any("frozen=True" in ast.unparse(d) for d in node.decorator_list)


def _init(node: ast.ClassDef) -> ast.FunctionDef | None:
    return next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)


def _fields(node: ast.ClassDef) -> list[tuple[str, str | None]]:
    """(name, default's source) of each init field, in order."""
    out = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            default = ast.unparse(stmt.value) if stmt.value is not None else None
            assert default is None or not default.startswith("field("), f"{node.name}: a field() needs its own check"
            out.append((stmt.target.id, default))
    return out


CASES = [(module, node) for module in EXPLICIT for node in _dataclasses(module) if _init(node) is not None]


def test_the_hot_dataclasses_define_their_init():
    defined = {(module, node.name) for module, node in CASES}
    assert defined >= {(module, name) for module, names in EXPLICIT.items() for name in names}


@pytest.mark.parametrize(("module", "node"), CASES, ids=[f"{m}.{n.name}" for m, n in CASES])
def test_an_explicit_init_is_the_generated_one(module, node):
    init = _init(node)
    assert init is not None
    args = init.args
    assert not (args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg)
    assert args.args[0].arg == "self"
    params = [a.arg for a in args.args[1:]]
    defaults = [None] * (len(params) - len(args.defaults)) + [ast.unparse(d) for d in args.defaults]
    fields = _fields(node)
    assert list(zip(params, defaults, strict=True)) == fields
    # the annotations too: the same types as the fields'
    annotations = {s.target.id: ast.unparse(s.annotation) for s in node.body if isinstance(s, ast.AnnAssign)}
    assert {a.arg: ast.unparse(a.annotation) for a in args.args[1:] if a.annotation} == annotations
    stored = []
    for stmt in init.body:
        if _frozen(node):  # object.__setattr__(self, "name", name)
            assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call), ast.unparse(stmt)
            call = stmt.value
            assert ast.unparse(call.func) == "object.__setattr__", ast.unparse(stmt)
            target, name, value = call.args
            assert ast.unparse(target) == "self" and isinstance(name, ast.Constant)
            stored.append((name.value, ast.unparse(value)))
        else:  # self.name = name
            assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.unparse(stmt)
            target = stmt.targets[0]
            assert isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self", ast.unparse(stmt)
            stored.append((target.attr, ast.unparse(stmt.value)))
    assert stored == [(name, name) for name, _ in fields]


@pytest.mark.parametrize(("module", "node"), CASES, ids=[f"{m}.{n.name}" for m, n in CASES])
def test_the_dataclass_still_knows_its_fields(module, node):
    cls = getattr(importlib.import_module(module), node.name)
    fields = [(f.name, f.default is not dataclasses.MISSING) for f in dataclasses.fields(cls) if f.init]
    assert fields == [(name, default is not None) for name, default in _fields(node)]
