"""The booster topic taxonomy: read by anyone; grown by admins, with providers' proposals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.auth import AdminDep
from app.catalog import topics
from app.catalog.routers.common import Manager, MaybePrincipal
from app.catalog.schemas import TopicCreate, TopicList, TopicPublic, TopicReview
from app.db import SessionDep
from app.errors import problem_responses
from app.inputs import GuardedRoute

topics_router = APIRouter(prefix="/topics", tags=["topics"], route_class=GuardedRoute)
topics_write_router = APIRouter(prefix="/topics", tags=["topics"], route_class=GuardedRoute)

TopicPath = Annotated[str, Path(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]


@topics_router.get("", response_model=TopicList, operation_id="listTopics", responses=problem_responses(401, 403, 422))
def list_topics(
    session: SessionDep,
    principal: MaybePrincipal,
    status: Annotated[
        Literal["accepted", "proposed", "rejected"],
        Query(
            description="`accepted` (default): the taxonomy; `proposed`, `rejected`: proposals (admins see all, a "
            "provider its own)"
        ),
    ] = "accepted",
) -> TopicList:
    """The booster topic taxonomy that courses are tagged with, or the topic proposals the caller may see."""
    return TopicList(items=topics.list_topics(session, principal=principal, status=status))


@topics_router.get(
    "/{topic_id}", response_model=TopicPublic, operation_id="getTopic", responses=problem_responses(401, 404, 422)
)
def get_topic(topic_id: TopicPath, session: SessionDep, principal: MaybePrincipal) -> TopicPublic:
    """One topic of the taxonomy, or a proposal (for admins and the provider that made it)."""
    return topics.get(session, principal=principal, topic_id=topic_id)


@topics_write_router.post(
    "",
    response_model=TopicPublic,
    status_code=201,
    operation_id="createTopic",
    responses={
        202: {"model": TopicPublic, "description": "A provider's proposal, waiting for an admin's review"},
        **problem_responses(400, 401, 403, 409, 422),
    },
)
def create_topic(data: TopicCreate, session: SessionDep, principal: Manager, response: Response) -> TopicPublic:
    """Add a topic to the taxonomy (admin: 201), or propose one for an admin to accept (provider: 202, status
    `proposed`). Ids are lower-case words joined by hyphens and never reused."""
    created = topics.create(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/topics/{created.id}"
    if created.status == "proposed":
        response.status_code = 202
    return created


@topics_write_router.post(
    "/{topic_id}/review",
    response_model=TopicPublic,
    operation_id="reviewTopic",
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def review_topic(topic_id: TopicPath, data: TopicReview, session: SessionDep, principal: AdminDep) -> TopicPublic:
    """Accept a provider's topic proposal (it joins the taxonomy) or reject it with a reason (admin)."""
    return topics.review(session, principal=principal, topic_id=topic_id, data=data)
