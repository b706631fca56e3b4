"""The FastAPI application factory: pages, search, API routers, static files, headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperfeed import __version__
from paperfeed.config import Settings
from paperfeed.storage.engine import make_engine, session_factory
from paperfeed.storage.retry import DatabaseBusy, is_contention
from paperfeed.web import busy
from paperfeed.web.api import errors as api_errors
from paperfeed.web.api.ratelimit import ApiRateLimitMiddleware
from paperfeed.web.negotiate import JsonTwins, is_twin
from paperfeed.web.pagecache import PageCacheMiddleware
from paperfeed.web.security import SECURITY_HEADERS, SecurityHeadersMiddleware
from paperfeed.web.shells import ForgetShellsOnWrite, ShellCache
from paperfeed.web.templating import render

STATIC = Path(__file__).with_name("static")
log = logging.getLogger(__name__)


class CachedStaticFiles(StaticFiles):
    """Static assets with a long cache lifetime (pages link them with ?v=VERSION)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "public, max-age=86400"
        return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/feeds/")) or request.url.path == "/api"


def _api_shaped(request: Request) -> bool:
    """/api/v1 and the pages' JSON twins answer errors as {"error": {"code", "message"}}."""
    return request.url.path.startswith(api_errors.V1_PREFIX) or is_twin(request.url.path)


def _error_page(
    request: Request, status: int, title: str, message: str, links: list[tuple[str, str]]
) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "links": links},
        status_code=status,
    )


def _allowed(request: Request) -> str:
    """Every method some route serves at this path (for a 405's ``Allow``)."""
    from starlette.routing import Match

    scope = {key: value for key, value in request.scope.items()
             if key not in ("endpoint", "path_params", "route")}
    return ", ".join(
        method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**scope, "method": method})[0] is Match.FULL
               for route in request.app.routes)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """HTML error pages for pages, JSON for the API and feeds (headers such as
    Retry-After or WWW-Authenticate are kept)."""
    assert isinstance(exc, StarletteHTTPException)
    if 300 <= exc.status_code < 400:  # e.g. LoginRequired: a redirect, not a page
        return Response(status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 405:  # Starlette names only the first matching route's methods
        exc.headers = {**(exc.headers or {}), "Allow": _allowed(request)}
    if _api_shaped(request):
        return api_errors.from_http_exception(exc)
    if _wants_json(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    status = exc.status_code
    links = getattr(exc, "links", None) or [("/", "Latest papers")]
    if status == 404:
        title = "Not found"
        message = exc.detail if hasattr(exc, "links") else (
            f"There is no page at {request.url.path[:120]}."
        )
    else:
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
        message = exc.detail if isinstance(exc.detail, str) else title
        if status == 405:
            message = "This page cannot be used that way."
    response = _error_page(request, status, title, message, links)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _api_shaped(request):
        return api_errors.from_validation_errors(list(exc.errors()))
    if _wants_json(request):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    return _error_page(request, 400, "Bad request",
                       "Some part of this address is not valid.", [("/", "Latest papers")])


async def _server_error(request: Request, exc: Exception) -> Response:
    if is_contention(exc):  # raised outside the routes (a middleware's write)
        return busy.busy_response(request, exc)
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
    if _api_shaped(request):
        return api_errors.error_response(500, "internal_error", "internal error", headers)
    if _wants_json(request):
        return JSONResponse({"detail": "internal error"}, status_code=500, headers=headers)
    return Response(
        "<!doctype html><title>Error</title><h1>Something went wrong</h1>"
        "<p>The error has been logged. <a href=\"/\">Back to the latest papers</a>.</p>",
        status_code=500, media_type="text/html", headers=headers,
    )


def create_app(
    settings: Settings, engine: Engine | None = None, *, page_cache_seconds: float = 0.0,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Build the web application on `engine` (or one made from `settings.database_url`).

    `page_cache_seconds` > 0 serves anonymous page views from a per-process micro-cache
    (see :mod:`paperfeed.web.pagecache`) and keeps list pages' shells as long (see
    :mod:`paperfeed.web.shells`); `serve` turns it on, tests leave it off.
    `clock` (seconds since the epoch) is where sessions, rate limits and trending read
    the time; ``app.state.clock`` may be replaced at any time (tests move it)."""
    from paperfeed.web import (
        accounts,
        apidocs,
        comments,
        digest,
        lists,
        mailbox,
        moderation,
        pages,
        profiles,
        recovery,
        submit,
        tokens,
        twins,
        votes,
    )
    from paperfeed.web.api.hf import router as hf_router
    from paperfeed.web.api.search import router as api_search_router
    from paperfeed.web.api.v1 import router as api_v1_router
    from paperfeed.web.api.v1_actions import router as api_actions_router
    from paperfeed.web.exports import router as exports_router
    from paperfeed.web.feeds import router as feeds_router
    from paperfeed.web.personal_feed import router as personal_feed_router
    from paperfeed.web.search import router as search_router

    app = FastAPI(
        title=settings.site_name,
        version=__version__,
        # FastAPI's own docs pages load from a CDN: /api/docs is served by the site.
        docs_url=None,
        redoc_url=None,
        description="The paperfeed API: papers, daily lists, trending, search, comments "
        "and profiles under /api/v1 (votes, submissions and comments with a read-write "
        "token), and the Hugging Face papers API's routes. Errors under /api/v1 are "
        '{"error": {"code", "message"}}. Interactive documentation: /api/docs.',
    )
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(
        settings.database_url, busy_timeout=settings.db_busy_timeout)
    app.state.sessions = session_factory(app.state.engine)
    app.state.clock = clock
    app.state.shells = ShellCache(page_cache_seconds)

    app.add_middleware(ForgetShellsOnWrite, cache=app.state.shells)
    app.add_middleware(JsonTwins)  # Accept: application/json → the page's .json twin
    app.add_middleware(SecurityHeadersMiddleware)
    if page_cache_seconds > 0:  # outside the app, so cached responses keep their headers
        app.add_middleware(PageCacheMiddleware, seconds=page_cache_seconds)
    # Outermost: every API and feed request counts, cached or not.
    app.add_middleware(ApiRateLimitMiddleware, settings=settings,
                       clock=lambda: app.state.clock())
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DatabaseBusy, busy.on_busy)  # 503 + Retry-After
    app.add_exception_handler(DBAPIError, busy.on_database_error)
    app.add_exception_handler(Exception, _server_error)

    app.mount("/static", CachedStaticFiles(directory=STATIC), name="static")
    apidocs.mount_assets(app)
    # Specific routers first: the page router's /papers/{id:path} catches the rest.
    app.include_router(api_search_router)
    app.include_router(api_actions_router)  # …/papers/{id}/vote: before v1's /papers/{id}
    app.include_router(api_v1_router)
    app.include_router(twins.router)  # /papers/{id}.json: before pages' /papers/{id}
    app.include_router(hf_router)  # /papers/{id}.md: before pages' /papers/{id}
    app.include_router(search_router)
    app.include_router(feeds_router)
    app.include_router(personal_feed_router)
    for module in (apidocs, accounts, tokens, recovery, submit, votes, comments, moderation, lists,
                   profiles, digest, mailbox):
        app.include_router(module.router)
    app.include_router(exports_router)  # /export/…, /api/v1/export/…
    app.include_router(pages.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, saying that a read's token is optional: reads list "no
    security" beside the bearer token (FastAPI would list the token as required)."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method in ("get", "head") and operation.get("security"):
                    operation["security"] = [{}, *operation["security"]]
        app.openapi_schema = schema
    return app.openapi_schema


PAGE_CACHE_ENV = "PAPERFEED_SERVE_PAGE_CACHE"


def ready_to_serve(app: FastAPI) -> FastAPI:
    """Compile every page template, then move everything allocated so far out of the
    garbage collector's sight (``gc.freeze``): a full collection then looks only at what
    requests allocate, instead of stalling a request for ~100 ms every few thousand to
    walk the modules, routes and templates that live as long as the process."""
    import gc

    from paperfeed.web.templating import TEMPLATES, environment

    for template in sorted(TEMPLATES.glob("*.html")):
        environment().get_template(template.name)
    gc.collect()
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """The app from `load_settings()`: the factory uvicorn's worker processes import."""
    import os

    from paperfeed.config import load_settings

    return ready_to_serve(create_app(
        load_settings(), page_cache_seconds=float(os.environ.get(PAGE_CACHE_ENV, 0))))
