"""The exported OpenAPI document: sorted and stable, so the committed file can be diffed."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any


def build_spec() -> dict[str, Any]:
    from app.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/spec.sqlite3")
        return create_app(settings).openapi()


def spec_json() -> str:
    return json.dumps(build_spec(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
