"""The topic taxonomy as admins govern it: content/topics.yaml seeds it, admins add topics, providers propose
them and an admin accepts or rejects each proposal. Only accepted topics (the `topic` table) validate, in
courses, rule sets and reports; topics are never deleted."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.catalog.models import Topic, TopicProposal
from app.catalog.schemas import TopicCreate, TopicPublic, TopicReview
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable


class TopicNotFound(NotFound):
    pass


class TopicTaken(Conflict):
    pass


def accepted(topic: Topic) -> TopicPublic:
    return TopicPublic(id=topic.id, name=topic.name, description=topic.description, status="accepted")


def proposal(row: TopicProposal) -> TopicPublic:
    return TopicPublic(
        id=row.topic_id,
        name=row.name,
        description=row.description,
        status=row.status,  # type: ignore[arg-type]
        proposed_by_provider_id=row.provider_id,
        review_reason=row.review_reason,
        reviewed_at=row.reviewed_at,
    )


def sees_proposals(principal: Principal | None) -> bool:
    """Admins see every proposal, a provider its own; nobody else sees any."""
    return principal is not None and (principal.is_admin or principal.role is Role.provider)


def _proposals(principal: Principal | None):  # noqa: ANN202 (a SelectOfScalar of proposals)
    query = select(TopicProposal)
    if principal is not None and not principal.is_admin:
        query = query.where(TopicProposal.provider_id == principal.provider_id)
    return query


def list_topics(session: Session, *, principal: Principal | None, status: str = "accepted") -> list[TopicPublic]:
    """Accepted topics by id; or the proposals of that status the caller may see."""
    if status == "accepted":
        return [accepted(t) for t in session.exec(select(Topic).order_by(col(Topic.id)))]
    if not sees_proposals(principal):
        raise Forbidden("Topic proposals are seen by admins and by the provider that made them.")
    query = _proposals(principal).where(TopicProposal.status == status).order_by(col(TopicProposal.topic_id))
    return [proposal(p) for p in session.exec(query)]


def get(session: Session, *, principal: Principal | None, topic_id: str) -> TopicPublic:
    """An accepted topic, or a proposal the caller may see (as if absent otherwise)."""
    topic = session.get(Topic, topic_id)
    if topic is not None:
        return accepted(topic)
    if sees_proposals(principal):
        row = session.exec(_proposals(principal).where(TopicProposal.topic_id == topic_id)).first()
        if row is not None:
            return proposal(row)
    raise TopicNotFound(f"Topic {topic_id!r} was not found.")


def _taken(session: Session, topic_id: str, principal: Principal) -> str | None:
    """Why this id cannot be created or proposed (None when it can)."""
    if session.get(Topic, topic_id) is not None:
        return f"Topic {topic_id!r} is already in the taxonomy."
    row = session.get(TopicProposal, topic_id)
    if row is None:
        return None
    if not (principal.is_admin or (principal.role is Role.provider and principal.provider_id == row.provider_id)):
        return f"Topic id {topic_id!r} is taken; choose another id."  # another provider's proposal stays its own
    if row.status == "proposed":
        return f"Topic {topic_id!r} is already proposed and waits for an admin's review" + (
            ": accept the proposal (POST /v1/topics/{id}/review)." if principal.is_admin else "."
        )
    return f"Topic {topic_id!r} was proposed and rejected: {row.review_reason}"


def create(session: Session, *, principal: Principal, data: TopicCreate) -> TopicPublic:
    """An admin adds an accepted topic; a provider proposes one (status `proposed`) for an admin to review."""
    if not (principal.is_admin or principal.role is Role.provider):
        raise Forbidden("Only admins add topics; providers propose them.")
    if (reason := _taken(session, data.id, principal)) is not None:
        raise TopicTaken(reason)
    try:
        with session.begin_nested():
            if principal.is_admin:
                row: Topic | TopicProposal = Topic(id=data.id, name=data.name, description=data.description)
            else:
                row = TopicProposal(
                    topic_id=data.id,
                    name=data.name,
                    description=data.description,
                    provider_id=principal.provider_id,
                    proposed_by=principal.actor,
                )
            session.add(row)
    except IntegrityError as exc:  # the same id created or proposed concurrently
        raise TopicTaken(f"Topic {data.id!r} was just created or proposed by someone else.") from exc
    if isinstance(row, Topic):
        audit.record(
            session,
            actor=principal.actor,
            action="create",
            entity="topic",
            entity_id=data.id,
            changes={"name": [None, data.name], "description": [None, data.description]},
        )
        return accepted(row)
    audit.record(
        session,
        actor=principal.actor,
        action="propose",
        entity="topic",
        entity_id=data.id,
        changes={
            "name": [None, data.name],
            "description": [None, data.description],
            "provider_id": principal.provider_id,
        },
    )
    return proposal(row)


def review(session: Session, *, principal: Principal, topic_id: str, data: TopicReview) -> TopicPublic:
    """An admin accepts a proposal (its topic joins the taxonomy) or rejects it with a reason; a rejected
    proposal may still be accepted later."""
    if not principal.is_admin:
        raise Forbidden("Only an admin accepts or rejects topic proposals.")
    row = session.get(TopicProposal, topic_id)
    if row is None:
        raise TopicNotFound(f"No topic {topic_id!r} was proposed.")
    if row.status == "accepted" or (row.status == "rejected" and data.decision == "reject"):
        raise Conflict(f"The proposal of topic {topic_id!r} is already {row.status}.")
    if data.decision == "reject" and not data.reason:
        raise Unprocessable(
            "A rejection says why.",
            errors=[
                {"loc": ["body", "reason"], "field": "body.reason", "message": "required to reject", "type": "missing"}
            ],
        )
    before = row.status
    row.status = "accepted" if data.decision == "accept" else "rejected"
    row.reviewed_by, row.reviewed_at, row.review_reason = principal.actor, utcnow(), data.reason
    session.add(row)
    if row.status == "accepted":
        if session.get(Topic, topic_id) is not None:
            raise TopicTaken(f"Topic {topic_id!r} is already in the taxonomy.")
        session.add(Topic(id=row.topic_id, name=row.name, description=row.description))
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action=f"review:{data.decision}",
        entity="topic",
        entity_id=topic_id,
        changes={"status": [before, row.status], "reason": data.reason, "provider_id": row.provider_id},
    )
    return proposal(row)
