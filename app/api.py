"""All /v1 routes. Authenticated by default; public routes are mounted explicitly."""

from fastapi import APIRouter, Depends

from app.audit.router import router as audit_router
from app.auth.deps import authenticated
from app.catalog import router as catalog
from app.certifications.router import me_router, verify_router
from app.certifications.router import router as certifications_router
from app.completions.router import certificates_router, transcripts_router
from app.completions.router import router as completions_router
from app.people.router import router as people_router
from app.rules.router import public_router as credentials_public_router
from app.rules.router import router as credentials_router
from app.scheduler.router import flags_router, sweeps_router, webhooks_router

public = APIRouter()
public.include_router(credentials_public_router)
public.include_router(verify_router)
public.include_router(certificates_router)
public.include_router(catalog.topics_router)
public.include_router(catalog.public_providers)
public.include_router(catalog.public_courses)

private = APIRouter(dependencies=[Depends(authenticated)])
private.include_router(credentials_router)
private.include_router(people_router)
private.include_router(certifications_router)
private.include_router(me_router)
private.include_router(completions_router)
private.include_router(transcripts_router)
private.include_router(catalog.providers_router)
private.include_router(catalog.courses_router)
private.include_router(audit_router)
private.include_router(sweeps_router)
private.include_router(flags_router)
private.include_router(webhooks_router)

api_router = APIRouter(prefix="/v1")
api_router.include_router(public)
api_router.include_router(private)
