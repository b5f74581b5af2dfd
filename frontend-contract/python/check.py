"""The generated Python client reads what peer-ce answers: every model with examples in openapi/openapi.json
parses each example and writes it back unchanged, and every operation has a function in the client.

Run by `make contract` after openapi-python-client generated the client into ./generated.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "generated"))

import peer_ce_client.models as models  # noqa: E402
from peer_ce_client import api  # noqa: E402


def normal(value: object) -> object:
    """A JSON value as a reader sees it: numbers as numbers (2 == 2.0), timestamps as instants."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)", value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def main() -> int:
    spec = json.loads((HERE.parents[1] / "openapi" / "openapi.json").read_text())
    problems: list[str] = []
    checked = 0
    for name, schema in spec["components"]["schemas"].items():
        if schema.get("type") != "object" or not schema.get("examples"):
            continue
        model = getattr(models, name, None)
        if model is None:
            problems.append(f"no model {name} in the generated client")
            continue
        for example in schema["examples"]:
            written = model.from_dict(example).to_dict()
            if normal(json.loads(json.dumps(written, default=str))) != normal(example):
                problems.append(f"{name}: an example does not read back as it was: {example}")
            checked += 1
    functions = {info.name for package in pkgutil.iter_modules(api.__path__)
                 for info in pkgutil.iter_modules([str(Path(api.__path__[0]) / package.name)])}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"} and snake(operation["operationId"]) not in functions:
                problems.append(f"no client function for {method.upper()} {path} ({operation['operationId']})")
    for package in pkgutil.iter_modules(api.__path__):  # every generated module imports
        for info in pkgutil.iter_modules([str(Path(api.__path__[0]) / package.name)]):
            importlib.import_module(f"peer_ce_client.api.{package.name}.{info.name}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"python client: {checked} examples read back, {len(functions)} operations, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
