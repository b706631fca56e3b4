"""503 "busy, try again" answers for writes that other writers kept from the database.

A SQLite writer that waited its busy timeout for the lock, or a PostgreSQL transaction
whose serialization-failure/deadlock retries ran out (:mod:`paperfeed.storage.retry`),
ends here instead of in a 500: pages get a short page saying to try again, ``/api/``,
``/feeds/`` and the pages' JSON twins get ``{"error": {"code": "busy", "message"}}``,
and every answer carries ``Retry-After``. Forms that can keep what the reader typed
catch :class:`~paperfeed.storage.retry.DatabaseBusy` themselves and show the form
again with :data:`MESSAGE` (see :mod:`paperfeed.web.comments`)."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError

from paperfeed.storage.retry import RETRY_AFTER, DatabaseBusy, is_contention
from paperfeed.web.api import errors as api_errors
from paperfeed.web.negotiate import is_twin, prefers_json

log = logging.getLogger(__name__)

CODE = "busy"
TITLE = "Busy, try again"
MESSAGE = ("The site is busy saving other changes and could not save this one. "
           "Nothing was changed: please try again in a few seconds.")


def retry_after(exc: BaseException) -> int:
    """Seconds the client should wait before trying again."""
    return exc.retry_after if isinstance(exc, DatabaseBusy) else RETRY_AFTER


def headers_for(exc: BaseException) -> dict[str, str]:
    """``Retry-After`` and no caching, for any busy answer."""
    return {"Retry-After": str(retry_after(exc)), "Cache-Control": "no-store"}


def _machine(request: Request) -> bool:
    """API, feeds, JSON twins, and scripts that asked for JSON (static/votes.js)."""
    path = request.url.path
    return (path == "/api" or path.startswith(("/api/", "/feeds/")) or is_twin(path)
            or prefers_json(request.headers.get("accept", "")))


def busy_response(request: Request, exc: BaseException) -> Response:
    """The 503 answer for `request` (see the module notes)."""
    log.warning("database busy on %s %s: %s", request.method, request.url.path,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    headers = headers_for(exc)
    if _machine(request):
        return api_errors.error_response(503, CODE, MESSAGE, headers)
    try:
        from paperfeed.web.templating import render

        response: Response = render(request, "error.html", {
            "status": 503, "title": TITLE, "message": MESSAGE,
            "links": [(str(request.url.path), "Try again"), ("/", "Latest papers")]
            if request.method in ("GET", "HEAD") else [("/", "Latest papers")],
        }, status_code=503)
    except Exception:  # the page itself needs the database: a plain one
        response = Response(
            f"<!doctype html><title>{TITLE}</title><h1>{TITLE}</h1><p>{MESSAGE}</p>",
            status_code=503, media_type="text/html")
    response.headers.update(headers)
    return response


async def on_busy(request: Request, exc: Exception) -> Response:
    """Exception handler for :class:`DatabaseBusy`."""
    return busy_response(request, exc)


async def on_database_error(request: Request, exc: Exception) -> Response:
    """Exception handler for database errors: contention is "busy" (503); anything else
    goes on to the server-error handler."""
    if isinstance(exc, DBAPIError) and is_contention(exc):
        return busy_response(request, exc)
    raise exc
