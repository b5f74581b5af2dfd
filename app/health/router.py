from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from app.build import EngineBuild, engine_build
from app.inputs import GuardedRoute

router = APIRouter(tags=["health"], route_class=GuardedRoute)


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    engine_build: EngineBuild = Field(
        description="How the rule engine and the compliance read model run: `mypyc` (compiled C extensions "
        "built from the same source) or `python` (the pure-Python modules; PEER_CE_COMPILED)."
    )


@router.get("/healthz", response_model=Health, operation_id="getHealth")
def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="getReadiness",
    responses={503: {"model": Readiness, "description": "The database is unreachable"}},
)
def readyz(request: Request) -> Readiness | JSONResponse:
    """Readiness: the database answers a trivial query; and which build of the engine runs."""
    build = engine_build()
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        unavailable = Readiness(status="unavailable", database="unavailable", engine_build=build)
        return JSONResponse(unavailable.model_dump(), status_code=503)
    return Readiness(status="ok", database="ok", engine_build=build)
