"""uvicorn's httptools protocol with a limit on the request head: 431 before the app sees anything.

uvicorn's httptools protocol buffers a request head of any size (an 8 MB `Authorization` header is
read whole, then parsed and handed to the app on the event loop, slowing every other request).
This subclass counts the bytes of each request head as they arrive: the request line and header
lines the parser has handed over, and the raw bytes of a head still incomplete after a read. Past
`PEER_CE_MAX_HEADER_BYTES` it answers a complete `431 Request Header Fields Too Large`
(problem+json, `Connection: close`), stops parsing, discards what the client is still sending for a
moment (so the client reads the answer instead of a connection reset) and closes the connection.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app.errors import PROBLEM_MEDIA_TYPE, TYPE_BASE

access_log = logging.getLogger("peer_ce.access")

#: How long a refused connection keeps reading (and discarding) what the client still sends.
LINGER_SECONDS = 2.0
#: ... and at most how much of it.
LINGER_BYTES = 64 * 1024 * 1024


class _HeadTooLarge(Exception):
    pass


def refusal(limit: int, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The complete 431 response, as bytes on the wire."""
    request_id = secrets.token_hex(16)
    body = json.dumps(
        {
            "type": TYPE_BASE + "header-too-large",
            "title": "Request header fields too large",
            "status": 431,
            "detail": f"The request line and headers exceed {limit} bytes.",
            "instance": None,
            "request_id": request_id,
        }
    ).encode()
    lines = [STATUS_LINE[431]]
    lines += [name + b": " + value + b"\r\n" for name, value in default_headers]
    lines += [
        b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"x-request-id: " + request_id.encode() + b"\r\n",
        b"cache-control: no-store\r\n",
        b"connection: close\r\n",
        b"\r\n",
        body,
    ]
    return b"".join(lines)


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses a request head larger than `max_head_bytes` with 431."""

    #: The limit; None reads PEER_CE_MAX_HEADER_BYTES (each worker process reads its environment).
    max_head_bytes: ClassVar[int | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.max_head_bytes
        if limit is None:
            from app.config import get_settings

            limit = get_settings().max_header_bytes
        self.head_limit = limit
        self._in_message = False  # between a message's first byte and its end
        self._in_head = False  # between a message's first byte and the end of its headers
        self._begun = 0  # messages begun on this connection
        self._completed = 0  # ... and completed
        self._head_parsed = 0  # bytes of request line and header lines the parser handed over
        self._head_raw = 0  # bytes received of the current, still incomplete, head
        self._refused = False
        self._discarded = 0

    # Reading --------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused:  # lingering after a 431: read and drop
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        idle_before, begun_before, completed_before = not self._in_message, self._begun, self._completed
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse()
                return
            self._invalid()
            return
        except httptools.HttpParserError:
            self._invalid()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if not self._in_head:
            return
        if self._begun == begun_before:  # the same head goes on: all of this read is part of it
            self._head_raw += len(data)
        elif idle_before and self._begun == begun_before + 1 and self._completed == completed_before:
            self._head_raw = len(data)  # the head began with this read
        else:  # begun after another request in the same read (pipelining): what was parsed is a lower bound
            self._head_raw = self._head_parsed
        if max(self._head_raw, self._head_parsed) > self.head_limit:
            self._refuse()

    def _invalid(self) -> None:
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self.send_400_response(msg)

    # Parser callbacks ------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_message = self._in_head = True
        self._begun += 1
        self._head_parsed = self._head_raw = 0
        super().on_message_begin()

    def _count(self, size: int) -> None:
        self._head_parsed += size
        if self._head_parsed > self.head_limit:
            raise _HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url) + 16)  # the method, the version and the line's separators, roughly
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_message = False
        self._completed += 1
        super().on_message_complete()

    # Refusing --------------------------------------------------------------------------------------

    def _refuse(self) -> None:
        self._refused = True
        self._in_head = False
        access_log.info(
            "request",
            extra={"fields": {"method": None, "route": None, "path": None, "status": 431, "duration_ms": 0.0}},
        )
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier pipelined request is still being answered: no room for a response of ours.
            self.transport.close()
            return
        self.transport.write(refusal(self.head_limit, self.server_state.default_headers))
        if self.transport.can_write_eof():
            # Half-close: the client reads the 431 and our FIN while what it still sends is dropped, rather
            # than a reset that can destroy the answer before it was read.
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
