"""All /v1 routes. Authenticated by default; public routes are mounted explicitly."""

from fastapi import Depends, FastAPI

from app.audit.router import router as audit_router
from app.auth.deps import authenticated
from app.catalog.routers import courses, providers, topics
from app.certificates.router import router as certificates_router
from app.certificates.router import well_known_router
from app.certifications.routers.compliance import status_router
from app.certifications.routers.me import me_router
from app.certifications.routers.records import router as certifications_router
from app.certifications.routers.verify import verify_router
from app.completions.router import router as completions_router
from app.completions.router import transcripts_router
from app.people.router import router as people_router
from app.reports.router import router as reports_router
from app.rules.router import public_router as credentials_public_router
from app.rules.router import router as credentials_router
from app.scheduler.routers.flags import flags_router
from app.scheduler.routers.sweeps import sweeps_router
from app.scheduler.routers.webhooks import webhooks_router
from app.sessions.routers import courses as course_sessions
from app.sessions.routers import providers as provider_sessions
from app.sessions.routers import sessions

PUBLIC = [
    credentials_public_router,
    verify_router,
    certificates_router,
    topics.topics_router,
    providers.public_providers,
    courses.public_courses,
    sessions.public_sessions,
    course_sessions.public_course_sessions,
    provider_sessions.public_provider_sessions,
]
AUTHENTICATED = [
    credentials_router,
    people_router,
    certifications_router,
    me_router,
    completions_router,
    transcripts_router,
    providers.providers_router,
    courses.courses_router,
    audit_router,
    sweeps_router,
    flags_router,
    webhooks_router,
    reports_router,
    sessions.sessions_router,
    course_sessions.course_sessions_router,
    topics.topics_write_router,
]


def mount(app: FastAPI) -> None:
    """Mount every /v1 router directly on the app (one level of route matching, not three).

    The compliance read comes first (FastAPI tries routes in order) and without the routers'
    `authenticated` dependency: its own role dependency authenticates, and a level less of
    dependencies is a measurable part of its cost (tests/test_auth.py checks that every route but
    the public ones authenticates).
    """
    app.include_router(status_router, prefix="/v1")
    app.include_router(well_known_router)  # the certificate issuer's DID document and keys, at the origin
    for router in PUBLIC:
        app.include_router(router, prefix="/v1")
    for router in AUTHENTICATED:
        app.include_router(router, prefix="/v1", dependencies=[Depends(authenticated)])
