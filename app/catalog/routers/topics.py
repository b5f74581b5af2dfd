"""The booster topic taxonomy."""

from __future__ import annotations

from fastapi import APIRouter

from app.catalog import service
from app.catalog.schemas import (
    TopicList,
    TopicPublic,
)
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute

topics_router = APIRouter(prefix="/topics", tags=["topics"], route_class=GuardedRoute)


@topics_router.get("", response_model=TopicList, operation_id="listTopics", responses=problem_responses(500))
def list_topics(session: SessionDep) -> TopicList:
    """The booster topic taxonomy that courses are tagged with."""
    return TopicList(items=[TopicPublic.model_validate(t) for t in service.list_topics(session)])
