"""Serve peer-ce for the status scenario the way `peer-ce serve` does, on one uvicorn worker.

Same as `peer-ce serve` (the app's JSON logging at PEER_CE_LOG_LEVEL, one line per request from
the app's own access log), with uvicorn's event loop and HTTP parser pinned to uvloop and httptools
(when installed) and uvicorn's access log off, exactly like the baseline app.

    python -m bench.serve_app --port 8000
    python -m bench.serve_app --port 8000 --floor   # the same app with the compliance work taken out

`--floor` serves the status scenario's framework floor: the same app, route, middleware, access log and
token check, with the compliance read's own work (its query, the engine, the rendering) replaced by the
document of the first certification asked for, computed once. Its rate is the ceiling of the status
ratio for this app on this framework: what the request costs when the work costs nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

import uvicorn


def server_options() -> dict[str, object]:
    return {
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "access_log": False,
        "log_config": None,
    }


def floor_app(app: Any = None) -> Any:
    """The app (`create_app()` unless given) with `GET /v1/certifications/{id}/compliance` answering one
    stored document (see above). It patches the functions the route calls, for the whole process."""
    from app.certifications import presenters, service
    from app.main import create_app

    real_compliance, real_json = service.compliance, presenters.compliance_json
    body: bytes | None = None

    async def compliance(reads: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        nonlocal body
        if body is None:
            body = real_json(*await real_compliance(reads, **kwargs))
        return None, None, None

    service.compliance = compliance  # type: ignore[assignment]
    presenters.compliance_json = lambda *_: body  # type: ignore[assignment,return-value]
    return app if app is not None else create_app()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--floor", action="store_true", help="the framework floor (see the module's doc)")
    args = parser.parse_args()

    from app.config import get_settings
    from app.logs import configure_logging

    configure_logging(get_settings().log_level)
    factory = "bench.serve_app:floor_app" if args.floor else "app.main:create_app"
    uvicorn.run(factory, factory=True, host=args.host, port=args.port, workers=1, **server_options())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
