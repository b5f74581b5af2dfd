"""A synchronous client for the ASGI app (httpx.AsyncClient + ASGITransport on one loop)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class ApiClient:
    def __init__(self, app: Any, token: str | None = None, *, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        """`client`: the socket peer the app sees (address, port)."""
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False, client=client),
            base_url="http://testserver",
        )
        self.token = token

    def as_(self, token: str | None) -> ApiClient:
        """The same app, called with another bearer token."""
        other = ApiClient.__new__(ApiClient)
        other._loop, other._client, other.token = self._loop, self._client, token
        return other

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return self._loop.run_until_complete(self._client.request(method, url, headers=headers, **kwargs))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
