"""Query parameters shared by several operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

DryRun = Annotated[
    bool, Query(description="Answer with what the change would do (`changes`, `counts`) and write nothing")
]
