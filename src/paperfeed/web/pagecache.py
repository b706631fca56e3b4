"""A micro-cache for anonymous page views: the same page is rendered at most once per
`seconds` per process, whatever the traffic. One request renders an expired page while
the others are served the previous copy (at most a few renders old), so a burst of
readers never renders the same page many times at once.

Only GET/HEAD requests without a Cookie or Authorization header, on the listed path
prefixes, answered 200 without Set-Cookie, are cached; anything personal goes straight
to the app. `serve` turns it on (1 s by default); `create_app` leaves it off.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE_PREFIXES = ("/date/", "/papers/", "/trending", "/week/", "/month/", "/users/",
                      "/feeds/", "/api/daily_papers", "/api/papers/", "/api/v1/")
MAX_BODY = 2 * 1024 * 1024


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value for key, value in scope["headers"] if key == name), b"")


@dataclass(slots=True)
class _Entry:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCacheMiddleware:
    """``clock``: where the cache reads the time (seconds, monotonic); a seam so tests can
    move time instead of sleeping. It is an attribute and may be replaced at any time."""

    def __init__(
        self,
        app: ASGIApp,
        seconds: float = 1.0,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, bytes, bytes], _Entry] = OrderedDict()
        self._rendering: dict[tuple[str, bytes, bytes], asyncio.Event] = {}

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        if path != "/" and not path.startswith(CACHEABLE_PREFIXES):
            return False
        return not any(name in (b"cookie", b"authorization") for name, _ in scope["headers"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.seconds <= 0 or not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        # The Accept header picks a page's JSON twin, so it is part of the key.
        key = (scope["path"], scope.get("query_string", b""), _header(scope, b"accept"))
        entry = self._entries.get(key)
        if entry is not None and (entry.expires > self.clock() or key in self._rendering):
            await self._replay(scope, send, entry)  # fresh, or being refreshed: reuse it
            return
        if entry is None and key in self._rendering:
            await self._rendering[key].wait()  # first render of this page under way
            entry = self._entries.get(key)
            if entry is not None:
                await self._replay(scope, send, entry)
                return
        done = self._rendering.setdefault(key, asyncio.Event())
        try:
            await self._render(scope, receive, send, key)
        finally:
            if self._rendering.get(key) is done:
                del self._rendering[key]
            done.set()

    @staticmethod
    async def _replay(scope: Scope, send: Send, entry: _Entry) -> None:
        etag = next((value for name, value in entry.headers if name.lower() == b"etag"), None)
        if etag is not None and _header(scope, b"if-none-match") in (etag, b"*"):
            kept = [(n, v) for n, v in entry.headers
                    if n.lower() not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": entry.status,
                    "headers": entry.headers})
        body = b"" if scope["method"] == "HEAD" else entry.body
        await send({"type": "http.response.body", "body": body})

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes, bytes]
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and size <= MAX_BODY:
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
            await send(message)

        await self.app(scope, receive, capture)
        headers = list(start.get("headers", []))
        if (
            scope["method"] == "GET"
            and start.get("status") == 200
            and size <= MAX_BODY
            and not any(name.lower() == b"set-cookie" for name, _ in headers)
        ):
            expires = self.clock() + self.seconds
            self._entries[key] = _Entry(expires, 200, headers, b"".join(chunks))
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
