"""Pages and their JSON twins: which page has one, where it is, and content negotiation.

Every page that shows data has a twin at its URL with ``.json`` added (the home page's is
``/index.json``): ``/date/2024-11-29.json``, ``/papers/hep-th/9901001.json``,
``/trending.json``, ``/search.json?q=...``. :class:`JsonTwins` serves the twin at the
page's own URL when the request's ``Accept`` header prefers ``application/json`` to
``text/html`` (it rewrites the path before routing), and marks those pages'
responses ``Vary: Accept``."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FIXED = {"/": "/index.json", "/trending": "/trending.json", "/search": "/search.json"}
_ONE_SEGMENT = re.compile(r"^/(?:date|week|month|users)/[^/]+$")
_TWIN = re.compile(
    r"^/(?:index|trending|search)\.json$"
    r"|^/(?:date|week|month|users)/[^/]+\.json$"
    r"|^/papers/.+\.json$"
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def twin_path(path: str) -> str | None:
    """The path of the JSON twin of the page at `path`, or None when it has none."""
    if path in _FIXED:
        return _FIXED[path]
    if path.endswith((".json", ".md")):
        return None
    if _ONE_SEGMENT.match(path) or (path.startswith("/papers/") and len(path) > len("/papers/")):
        return path + ".json"
    return None


def twin_url(path: str, query: str = "") -> str | None:
    """The URL of a page's twin (the same query string), for ``rel="alternate"`` links."""
    twin = twin_path(path)
    if twin is None:
        return None
    return quote(twin, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")


def is_twin(path: str) -> bool:
    """Whether `path` is a page's JSON twin (its errors are JSON too)."""
    return _TWIN.match(path) is not None


def prefers_json(accept: str) -> bool:
    """Whether an Accept header ranks ``application/json`` above ``text/html`` (wildcards
    count for neither: a browser's ``*/*`` gets the page)."""
    best = {"json": 0.0, "html": 0.0}
    for part in accept.split(",")[:50]:
        media, _, params = part.partition(";")
        media = media.strip().lower()
        kind = "json" if media == "application/json" else "html" if media in _HTML_TYPES \
            else None
        if kind is None:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        if 0.0 <= weight <= 1.0:
            best[kind] = max(best[kind], weight)
    return best["json"] > best["html"]


class JsonTwins:
    """Serve a page's twin when the request prefers JSON; say ``Vary: Accept`` on pages
    that have one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        twin = twin_path(path)
        if twin is None:
            await self.app(scope, receive, send)
            return
        accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
        if prefers_json(accept.decode("latin-1")):
            raw: bytes = scope.get("raw_path") or path.encode()
            raw_twin = twin.encode() if path in _FIXED else raw + b".json"
            scope = {**scope, "path": twin, "raw_path": raw_twin}

        async def send_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                vary = [v for k, v in message.get("headers", []) if k.lower() == b"vary"]
                values = {p.strip().lower() for v in vary for p in v.split(b",") if p.strip()}
                if b"accept" not in values:
                    vary.append(b"Accept")
                headers.append((b"vary", b", ".join(vary)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_vary)
