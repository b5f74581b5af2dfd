"""Completions as the engine takes them, loaded set-based for a batch of people."""

from __future__ import annotations

from sqlmodel import Session

from app.rules import engine


def completions_by_person(session: Session, person_ids: list[int]) -> dict[int, list[engine.Completion]]:
    """Every completion of these people (accepted or not), with its course's approvals."""
    return {}
