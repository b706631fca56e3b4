"""Downloads of citations and data: ``GET /export/{format}`` and its API twin
``GET /api/v1/export/{format}``, for one selector of ``date=YYYY-MM-DD`` (a day's
list), ``q=`` (a search; ``mode`` and ``sort`` as on /search), ``ids=`` (arXiv ids,
comma- or space-separated) or ``user=NAME`` (their upvotes, when they show them, or
your own). Formats: ``bibtex``, ``ris``, ``csl-json``, ``jsonl``; at most
``MAX_PAPERS`` papers. Answers are attachments with the format's media type;
``X-Paperfeed-Missing`` lists asked-for ids that are not stored here.

Errors: an unknown format is a 404; no selector, two selectors, a malformed date or id,
or an empty search is a 400; nothing to export is a 404; hidden upvotes are a 403. The
page route answers error pages, the API route the ``/api/v1`` error JSON.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from paperfeed.accounts.usernames import username_key
from paperfeed.export import select
from paperfeed.export.formats import FORMATS, NAMES, export_text
from paperfeed.search.service import MODES, SORTS
from paperfeed.web.api.errors import ERROR_RESPONSES, ApiError
from paperfeed.web.deps import read_session
from paperfeed.web.pages import PageNotFound, parse_day
from paperfeed.web.viewer import viewer

router = APIRouter()

SELECTORS = "date, q, ids or user"
DateQ = Annotated[str | None, Query(description="A day's list: YYYY-MM-DD")]
SearchQ = Annotated[str | None, Query(max_length=1000,
                                      description="A search, in the search language")]
IdsQ = Annotated[str | None, Query(max_length=30_000,
                                   description="arXiv ids, comma- or space-separated")]
UserQ = Annotated[str | None, Query(max_length=100,
                                    description="A reader whose upvotes are public")]
ModeQ = Annotated[str, Query(description="Search mode for q: hybrid, keyword, semantic")]
SortQ = Annotated[str, Query(description="Search order for q: relevance or date")]


class ExportProblem(Exception):
    """Why an export cannot be made: a status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _selection(request: Request, date: str | None, q: str | None, ids: str | None,
               user: str | None, mode: str, sort: str) -> select.Selection:
    """The papers asked for; ExportProblem when the request cannot be answered."""
    given = [name for name, value in (("date", date), ("q", q), ("ids", ids), ("user", user))
             if value is not None]
    if len(given) != 1:
        raise ExportProblem(400, f"Give exactly one of {SELECTORS}.")
    try:
        if date is not None:
            day = parse_day(date)
            if day is None:
                raise ExportProblem(400, f"“{date[:40]}” is not a date: use YYYY-MM-DD.")
            with read_session(request) as session:
                return select.for_day(session, day)
        if q is not None:
            if mode not in MODES or sort not in SORTS:
                raise ExportProblem(400, f"mode is one of {', '.join(MODES)}; "
                                    f"sort is one of {', '.join(SORTS)}.")
            return select.for_search(request.app.state.engine, request.app.state.settings,
                                     q, mode=mode, sort=sort)
        if ids is not None:
            with read_session(request) as session:
                return select.for_ids(session, select.parse_ids(ids))
        assert user is not None
        signed_in = viewer(request)
        with read_session(request) as session:
            return select.for_user(session, username_key(user),
                                   signed_in.user.id if signed_in else None)
    except select.BadSelection as exc:
        raise ExportProblem(400, str(exc)) from None
    except select.NotShown as exc:
        raise ExportProblem(403, str(exc)) from None
    except select.NothingFound as exc:
        raise ExportProblem(404, str(exc)) from None


def _filename_safe(name: str) -> str:
    """The name with anything but ASCII letters, digits, ``-``, ``.`` and ``_`` as ``-``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-._") else "-"
                   for ch in name)


def _download(request: Request, fmt: str, date: str | None, q: str | None, ids: str | None,
              user: str | None, mode: str, sort: str) -> Response:
    chosen = FORMATS[fmt]
    selection = _selection(request, date, q, ids, user, mode, sort)
    headers = {
        "Content-Disposition":
            f'attachment; filename="paperfeed-{_filename_safe(selection.name)}'
            f'.{chosen.extension}"',
        "X-Paperfeed-Count": str(len(selection.papers)),
    }
    if selection.missing:
        headers["X-Paperfeed-Missing"] = " ".join(selection.missing)
    if user is not None:
        headers["Cache-Control"] = "private, no-store"
    text = export_text(fmt, selection.papers)
    return Response(text, media_type=f"{chosen.media_type}; charset=utf-8", headers=headers)


@router.get("/export/{fmt}", include_in_schema=False)
async def export_download(
    request: Request, fmt: str, date: DateQ = None, q: SearchQ = None, ids: IdsQ = None,
    user: UserQ = None, mode: ModeQ = "hybrid", sort: SortQ = "relevance",
) -> Response:
    if fmt not in FORMATS:
        raise PageNotFound(f"There is no export format “{fmt[:40]}”. Formats: "
                           f"{', '.join(NAMES)}.", [("/", "Latest papers")])
    try:
        return await run_in_threadpool(_download, request, fmt, date, q, ids, user, mode,
                                       sort)
    except ExportProblem as exc:
        if exc.status == 404:
            raise PageNotFound(exc.message, [("/", "Latest papers")]) from None
        raise HTTPException(exc.status, exc.message) from None


@router.get(
    "/api/v1/export/{fmt}",
    tags=["export"],
    summary="Papers as BibTeX, RIS, CSL-JSON or JSON Lines",
    responses={
        **ERROR_RESPONSES,
        200: {"description": "The export, as an attachment",
              "content": {f.media_type: {"schema": {"type": "string"}}
                          for f in FORMATS.values()}},
    },
    response_class=Response,
)
async def api_export(
    request: Request, fmt: str, date: DateQ = None, q: SearchQ = None, ids: IdsQ = None,
    user: UserQ = None, mode: ModeQ = "hybrid", sort: SortQ = "relevance",
) -> Response:
    """Give exactly one of ``date``, ``q``, ``ids`` or ``user``. ``fmt`` is ``bibtex``,
    ``ris``, ``csl-json`` or ``jsonl``. At most 1000 papers; ``X-Paperfeed-Missing``
    lists ids that are not stored here."""
    if fmt not in FORMATS:
        raise ApiError(404, f"There is no export format {fmt[:40]!r}. Formats: "
                       f"{', '.join(NAMES)}.")
    try:
        return await run_in_threadpool(_download, request, fmt, date, q, ids, user, mode,
                                       sort)
    except ExportProblem as exc:
        raise ApiError(exc.status, exc.message) from None
