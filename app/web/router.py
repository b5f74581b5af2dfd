"""Serving the thin client: /status, /verify, /board and their assets, outside the API and its schema."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.errors import NotFound
from app.inputs import GuardedRoute

WEB_DIR = Path(__file__).resolve().parent
PAGES = {
    "status": "status.html",
    "verify": "verify.html",
    "board": "board.html",
    "transcript": "transcript.html",
    "certificate": "certificate.html",
    "certificate-check": "certificate-check.html",
}
ASSETS = {
    "app.css": "text/css; charset=utf-8",
    "board.css": "text/css; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "papers.js": "text/javascript; charset=utf-8",
    "print.css": "text/css; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
    "status.js": "text/javascript; charset=utf-8",
    "verify.js": "text/javascript; charset=utf-8",
}
# Everything is served from here; the pages call the API on the same origin and nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)


def _page(name: str) -> FileResponse:
    return FileResponse(WEB_DIR / PAGES[name], media_type="text/html; charset=utf-8", headers=HEADERS)


@router.api_route("/status", methods=["GET", "HEAD"])
def status_page() -> FileResponse:
    """The peer's own status: certifications, hours per requirement, due dates, courses that close the gap."""
    return _page("status")


@router.api_route("/verify", methods=["GET", "HEAD"])
def verify_page() -> FileResponse:
    """Public verification of a certification number, for employers."""
    return _page("verify")


@router.api_route("/board", methods=["GET", "HEAD"])
def board_page() -> FileResponse:
    """The board dashboard: counts, trend, the due list, CE demand and provider activity, with CSV downloads."""
    return _page("board")


@router.api_route("/transcript", methods=["GET", "HEAD"])
def transcript_page() -> FileResponse:
    """The peer's printable transcript: every certification's cycles and the CE in each, what counted and why."""
    return _page("transcript")


@router.api_route("/certificate", methods=["GET", "HEAD"])
def certificate_page() -> FileResponse:
    """A completion's certificate for people (`#id=<completion id>`), printable, with a QR code to its check."""
    return _page("certificate")


@router.api_route("/certificate-check", methods=["GET", "HEAD"])
def certificate_check_page() -> FileResponse:
    """What a certificate's QR code opens (`#<credential uuid>`): valid or withdrawn, nothing about the person."""
    return _page("certificate-check")


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
def asset(name: str) -> FileResponse:
    """The pages' stylesheet and scripts (a fixed list: nothing else under app/web is served)."""
    if name not in ASSETS:
        raise NotFound(f"No static file {name}.")
    return FileResponse(WEB_DIR / name, media_type=ASSETS[name], headers=HEADERS)
