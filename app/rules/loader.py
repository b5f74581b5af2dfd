"""Reading rule-set files (content/rules/*.yaml) and exporting their JSON Schema.

Run `python -m app.rules.loader` to regenerate content/rules/schema.json after changing
app/rules/document.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.rules.document import RuleSet

CONTENT_RULES_DIR = Path(__file__).resolve().parents[2] / "content" / "rules"
SCHEMA_FILE = CONTENT_RULES_DIR / "schema.json"


class RuleFileError(ValueError):
    """A rule file that cannot be read, parsed or validated; names the file and the fields."""

    def __init__(self, path: Path, message: str, errors: list[ErrorDetails] | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.errors = errors or []


def load_rule_file(path: str | Path) -> RuleSet:
    """Parse one YAML rule file (safe_load) and validate it as a RuleSet."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(path, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(path, "a rule file must hold one mapping (the rule set)")
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        raise RuleFileError(path, fields, errors) from exc


def iter_content_rule_sets(directory: str | Path) -> list[RuleSet]:
    """Every *.yaml rule set in a directory, by file name; each file is named after its code."""
    directory = Path(directory)
    rule_sets = []
    for path in sorted(directory.glob("*.yaml")):
        rule_set = load_rule_file(path)
        if path.stem != rule_set.code.lower():
            raise RuleFileError(path, f"file name must be {rule_set.code.lower()}.yaml")
        rule_sets.append(rule_set)
    return rule_sets


def render_json_schema() -> str:
    """The rule-set JSON Schema as written to schema.json (sorted keys, indent 2, newline)."""
    return json.dumps(RuleSet.model_json_schema(), indent=2, sort_keys=True) + "\n"


def export_json_schema(path: str | Path = SCHEMA_FILE) -> Path:
    """Write the rule-set JSON Schema to `path` (default content/rules/schema.json)."""
    path = Path(path)
    path.write_text(render_json_schema(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {export_json_schema()}")
