"""The app's OpenAPI document for tests: built once per test process (each build mounts every route of a new app,
~0.7 s of CPU), handed out as a copy a test may change."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from app.openapi import build_spec


@cache
def _built() -> str:
    return json.dumps(build_spec())


def app_spec() -> dict[str, Any]:
    """The document as `GET /openapi.json` serves it (a JSON round trip of `app.openapi.build_spec`)."""
    return json.loads(_built())
