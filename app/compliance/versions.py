"""The engine's rule versions, parsed once per process and cached per credential.

A stored version never changes (a change is a new version), so each is parsed once (`parsed`). The
versions of a credential are cached under their `versions_key` ("version:content_hash,..."), which the
compliance query reads beside the certification: a new version changes the key, and the next read loads
the documents again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.compliance.queries import DOCUMENTS
from app.compliance.rows import DocumentRow
from app.reads import Plan
from app.rules.document import RuleSet
from app.rules.engine import RuleVersion

_parsed: dict[tuple[str, int, str], RuleVersion] = {}
_by_key: dict[str, tuple[str, list[RuleVersion]]] = {}


def parsed(code: str, version: int, content_hash: str, effective_from: date, document: dict[str, Any]) -> RuleVersion:
    """A stored version as the engine takes it (parsed once per process)."""
    key = (code, version, content_hash)
    hit = _parsed.get(key)
    if hit is None:
        hit = _parsed[key] = RuleVersion(
            version=version, effective_from=effective_from, rules=RuleSet.model_validate(document)
        )
    return hit


def plan(keys: dict[str, str | None]) -> Plan[dict[str, list[RuleVersion]]]:
    """The engine's versions of these credentials, oldest first, given each one's `versions_key`.

    Documents are read only for credentials whose key differs from the cached one; codes without
    any version are absent from the answer.
    """
    out: dict[str, list[RuleVersion]] = {}
    stale: dict[str, set[str]] = {}
    for code, key in keys.items():
        if key is None:
            continue
        hit = _by_key.get(code)
        if hit is not None and hit[0] == key:
            out[code] = hit[1]
        else:
            stale[code] = set(key.split(","))
    if not stale:
        return out
    loaded: dict[str, list[RuleVersion]] = {code: [] for code in stale}
    rows: list[DocumentRow] = yield DOCUMENTS, {"codes": sorted(stale)}
    for row in rows:
        if f"{row.version}:{row.content_hash}" not in stale[row.code]:
            continue  # published after the key was read: the next read picks it up with its new key
        loaded[row.code].append(parsed(row.code, row.version, row.content_hash, row.effective_from, row.document))
    for code, versions in loaded.items():
        key = keys[code]
        if key is not None and len(versions) == len(stale[code]):
            _by_key[code] = (key, versions)
        out[code] = versions
    return out
