"""Serve peer-ce for the status scenario the way `peer-ce serve` does, on one uvicorn worker.

Same as `peer-ce serve` (the app's JSON logging at PEER_CE_LOG_LEVEL, one line per request from
the app's own access log), with uvicorn's event loop and HTTP parser pinned to uvloop and httptools
(when installed) and uvicorn's access log off, exactly like the baseline app.

    python -m bench.serve_app --port 8000
"""

from __future__ import annotations

import argparse
import importlib.util

import uvicorn


def server_options() -> dict[str, object]:
    return {
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "access_log": False,
        "log_config": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from app.config import get_settings
    from app.logs import configure_logging

    configure_logging(get_settings().log_level)
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, workers=1,
                **server_options())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
