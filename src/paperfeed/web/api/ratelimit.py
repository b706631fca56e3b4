"""Request limits for the API and feeds (every path under ``/api/`` and ``/feeds/``).

A request with ``Authorization: Bearer TOKEN`` counts against that token
(``[rate_limits] api``, 600 a minute by default); one without counts against its
client address (``api_per_address``, 300 a minute). Every answer carries the limit's
state in the IETF draft's headers (``RateLimit-Policy: 600;w=60`` and ``RateLimit:
limit=600, remaining=599, reset=42``, plus the older ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset``); over the limit the answer is 429
with ``Retry-After`` and the API's error shape.

The counts are fixed windows kept in each server process's memory (an API read must
not cost a database write): with ``serve --workers N`` a client may get up to N times
the limit. The per-account limits of the actions themselves (``vote``, ``submit``,
``comment``) are counted in the database and shared by every process, as for forms.
The middleware sits outside the page cache, so cached answers count too.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.accounts.ratelimit import Limit, parse_limit
from paperfeed.config import Settings

PREFIXES = ("/api/", "/feeds/")
MAX_KEYS = 100_000
"""Keys remembered at once; the oldest windows are dropped past this."""


@dataclass(slots=True)
class _Count:
    window: int
    count: int


@dataclass(frozen=True, slots=True)
class Verdict:
    limit: Limit
    remaining: int
    reset: int  # seconds until the window ends
    allowed: bool

    def headers(self) -> list[tuple[bytes, bytes]]:
        policy = f"{self.limit.count};w={self.limit.seconds}"
        state = f"limit={self.limit.count}, remaining={self.remaining}, reset={self.reset}"
        headers = [
            (b"ratelimit-policy", policy.encode()),
            (b"ratelimit", state.encode()),
            (b"ratelimit-limit", str(self.limit.count).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.reset).encode()))
        return headers


class Counter:
    """Fixed-window counts per key, in memory."""

    def __init__(self) -> None:
        self._counts: dict[str, _Count] = {}

    def hit(self, key: str, limit: Limit, now: float) -> Verdict:
        window = int(now // limit.seconds)
        entry = self._counts.get(key)
        if entry is None or entry.window != window:
            if len(self._counts) >= MAX_KEYS:
                self._forget_old(window, limit.seconds)
            entry = self._counts[key] = _Count(window, 0)
        entry.count += 1
        reset = max(1, math.ceil((window + 1) * limit.seconds - now))
        return Verdict(limit, max(0, limit.count - entry.count), reset,
                       entry.count <= limit.count)

    def _forget_old(self, window: int, seconds: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v.window >= window}
        if len(self._counts) >= MAX_KEYS:  # all current: start again rather than grow
            self._counts.clear()


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value for key, value in scope["headers"] if key == name), b"")


def caller_key(scope: Scope) -> tuple[str, bool]:
    """(key, has_token): the token's hash, or the client address."""
    authorization = _header(scope, b"authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization).hexdigest(), True
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown"), False


class ApiRateLimitMiddleware:
    """Counts every request under PREFIXES; see the module notes."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], float]) -> None:
        self.app = app
        self.clock = clock
        limits = settings.rate_limits
        self.per_token = parse_limit(limits.api)
        self.per_address = parse_limit(limits.api_per_address)
        self.counter = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        key, has_token = caller_key(scope)
        limit = self.per_token if has_token else self.per_address
        if limit is None:
            await self.app(scope, receive, send)
            return
        verdict = self.counter.hit(key, limit, self.clock())
        if not verdict.allowed:
            await _refuse(send, verdict)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *verdict.headers()]}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _refuse(send: Send, verdict: Verdict) -> None:
    body = orjson.dumps({"error": {
        "code": "too_many_requests",
        "message": f"Too many requests: the limit is {verdict.limit.count} per "
                   f"{verdict.limit.seconds} seconds. Try again in {verdict.reset} seconds.",
    }})
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *verdict.headers(),
    ]})
    await send({"type": "http.response.body", "body": body})
