"""Interactive API docs (Swagger UI at /docs, ReDoc at /redoc) from locally installed assets.

The scripts and styles come from the `fastapi-offline` package (Swagger UI and ReDoc builds, with their
licences) and are served from /docs/assets/: the pages load nothing from another origin, so they work
offline and behind a strict egress policy. Mounted only when `PEER_CE_API_DOCS` is on (the default
outside production); off, /docs, /redoc and /openapi.json answer 404 like any unknown path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from app.errors import NotFound
from app.inputs import GuardedRoute

OPENAPI_URL = "/openapi.json"
ASSETS_URL = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
# Same origin only. The inline script starts Swagger UI and both UIs inject styles; ReDoc runs its
# search index in a worker built from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def assets_dir() -> Path:
    """Where the installed `fastapi-offline` package keeps the Swagger UI and ReDoc builds."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package (API docs assets) is not installed; run make install")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install(app: FastAPI) -> None:
    """Mount /docs, /redoc and their assets (the app serves /openapi.json itself)."""
    directory = assets_dir()
    router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
    title = f"{app.title} {app.version}"

    @router.get("/docs")
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{title}: API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # no validator badge: Swagger UI would fetch it from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )
        page.headers.update(PAGE_HEADERS)
        return page

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{title}: API reference",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(PAGE_HEADERS)
        return page

    @router.get(ASSETS_URL + "/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound(f"No docs asset {name}.")
        return FileResponse(
            directory / name,
            media_type=ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    app.include_router(router)
