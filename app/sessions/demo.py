"""Demo sessions: the next two runs of each demo course that is held live (`peer-ce demo`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import AnyHttpUrl
from sqlmodel import Session

from app.auth.principal import Principal
from app.catalog.models import Course
from app.constants import DEFAULT_TIMEZONE
from app.sessions import service
from app.sessions.schemas import SessionCreate

ZONES = (DEFAULT_TIMEZONE, "America/Chicago", "America/Denver", "America/Los_Angeles")


def schedule(session: Session, *, principal: Principal, course: Course, today: date, n: int) -> None:
    """Two sessions, 1 to 6 weeks ahead (varying with `n`), at 10:00 or 13:00 local time, in person or online
    as the course is held; self-paced courses get none."""
    if course.modality == "self_paced":
        return
    hours = max(1, min(int(course.hours), 8))
    for k in range(2):
        day = today + timedelta(days=7 + 3 * n + 14 * k)
        start = datetime.combine(day, time(13 if n % 2 else 10))
        in_person = course.modality == "in_person"
        site = (course.url or "https://example.org").rstrip("/")
        service.create(
            session,
            principal=principal,
            course=course,
            data=SessionCreate(
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                timezone=ZONES[n % len(ZONES)],
                modality="in_person" if in_person else "live_virtual",
                location="Training room 2, 400 Main Street (demo)" if in_person else None,
                registration_url=AnyHttpUrl(f"{site}/register"),
                capacity=30,
            ),
        )
