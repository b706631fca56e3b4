"""The Submit form: a signed-in reader pastes an arXiv id or link, and the paper goes
on today's list (see :mod:`paperfeed.community.submit`).

``GET /submit`` shows the form (log in first: visitors are sent to
``/login?next=/submit``). ``POST /submit`` checks, in this order: signed in, the CSRF
token (403 with the typed text kept), the ``submit`` and ``submit_per_address`` rate
limits (429 with ``Retry-After``), then the submission itself. Success answers 303 to
the paper's page with ``?submitted=1`` (shown there as a notice); a refusal re-renders
the form with its message and what was typed: 400 for text that is not an arXiv id or
link, 403 for a banned account, 409 for a paper already on today's list (with a link
to it), 422 for an id arXiv does not know or a withdrawn paper, 429 for the daily cap
(``Retry-After``: until the next day, UTC), 502 when arXiv could not be asked.

"Today" is the app clock's UTC date. The fetch goes only to the ``arxiv_api_url``
setting's host, with the polite client's spacing, timeouts and size cap, so a silent
arXiv answers within seconds rather than holding the reader forever.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperfeed.community.moderation import MAX_REASON, ModerationError, report_entry
from paperfeed.community.submit import (
    ArxivFetch,
    SubmitKind,
    SubmitOutcome,
    arxiv_fetcher,
    submit_paper,
)
from paperfeed.config import Settings
from paperfeed.sources.gate import file_gate
from paperfeed.sources.outbound import allowed_hosts, limits_from
from paperfeed.storage.models import DailyEntry, Paper, User
from paperfeed.storage.retry import DatabaseBusy, run_transaction
from paperfeed.web import busy
from paperfeed.web.templating import render
from paperfeed.web.viewer import (
    Csrf,
    LoginRequired,
    Text,
    TooManyRequests,
    UserDep,
    check_csrf,
    rate_limit,
    require_user,
    utcnow,
    viewer,
)

router = APIRouter(include_in_schema=False)

CSRF_MESSAGE = (
    "This form expired or did not come from this site; nothing was saved. Check what you "
    "typed and send it again."
)
# Seconds one request to arXiv may take in all before the reader is told to try again.
FETCH_DEADLINE = 30.0
# The harvesters' lock file (cli/harvest.py), so the site and the CLI share arXiv's pace.
ARXIV_LOCK_FILE = "arxiv-requests.lock"
MAX_KEPT = 500

STATUS = {
    SubmitKind.BAD_INPUT: 400,
    SubmitKind.NOT_ARXIV: 400,
    SubmitKind.BANNED: 403,
    SubmitKind.ALREADY_LISTED: 409,
    SubmitKind.NOT_FOUND: 422,
    SubmitKind.WITHDRAWN: 422,
    SubmitKind.LIMIT_REACHED: 429,
    SubmitKind.FETCH_FAILED: 502,
}



def fetcher(request: Request) -> ArxivFetch:
    """The arXiv fetch, built from the settings: API address, User-Agent, the request
    limits (the whole request cut at ``FETCH_DEADLINE`` seconds, since a reader waits),
    the configured source hosts, and the spacing shared with ``paperfeed harvest``
    through its lock file in the data directory (every worker and command of this
    installation counts together)."""
    settings: Settings = request.app.state.settings
    limits = limits_from(settings)
    return arxiv_fetcher(
        settings.arxiv_api_url, settings.user_agent, interval=settings.request_interval,
        limits=replace(limits, deadline=min(limits.deadline, FETCH_DEADLINE)),
        hosts=allowed_hosts(settings),
        gate=file_gate(settings.data_dir / ARXIV_LOCK_FILE),
    )


def _submitted_today(request: Request, user_id: int) -> int:
    with request.app.state.sessions() as session:
        return int(session.scalar(
            select(func.count()).select_from(DailyEntry).where(
                DailyEntry.submitted_by_id == user_id,
                DailyEntry.day == utcnow(request).date(),
            )
        ) or 0)


def _form(
    request: Request, user_id: int, typed: str = "", error: str = "",
    link: str | None = None, status: int = 200, headers: dict[str, str] | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    cap = settings.submissions_per_day
    context: dict[str, Any] = {
        "typed": typed[:MAX_KEPT], "error": error, "link": link, "cap": cap,
        "left": max(0, cap - _submitted_today(request, user_id)) if cap else None,
    }
    return render(request, "submit.html", context, status_code=status, headers=headers)


@router.get("/submit")
def submit_form(request: Request, signed_in: UserDep) -> Response:
    return _form(request, signed_in.user.id)


def _until_tomorrow(now: datetime) -> str:
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    return str(max(1, int((tomorrow - now).total_seconds())))


@router.post("/submit")
def submit(request: Request, csrf: Csrf = "", paper: Text = "") -> Response:
    signed_in = viewer(request)
    if signed_in is None:
        raise LoginRequired("/submit")
    user_id = signed_in.user.id
    if not check_csrf(request, csrf):
        return _form(request, user_id, paper, CSRF_MESSAGE, status=403)
    settings: Settings = request.app.state.settings
    now = utcnow(request)
    try:
        rate_limit(request, "submit", account=str(user_id))
        with request.app.state.sessions() as session:
            outcome: SubmitOutcome = submit_paper(
                session, signed_in.user, paper, now.date(), now, fetcher(request),
                daily_cap=settings.submissions_per_day,
            )
    except TooManyRequests as exc:
        return _form(request, user_id, paper, str(exc.detail), status=429,
                     headers=dict(exc.headers or {}))
    except DatabaseBusy as exc:  # the form again, with what the reader typed
        return _form(request, user_id, paper, busy.MESSAGE, status=503,
                     headers=busy.headers_for(exc))
    if outcome.ok and outcome.path:
        return RedirectResponse(outcome.path + "?submitted=1", status_code=303)
    headers = None
    if outcome.kind is SubmitKind.LIMIT_REACHED:
        headers = {"Retry-After": _until_tomorrow(now)}
    link = outcome.path if outcome.kind is SubmitKind.ALREADY_LISTED else None
    return _form(request, user_id, paper, outcome.message, link,
                 STATUS.get(outcome.kind, 400), headers)


# -- reporting a listing ------------------------------------------------------------------


def _entry_page(request: Request, entry_id: int, *, reason: str = "", error: str = "",
                notice: str = "", status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    with request.app.state.sessions() as session:
        entry = session.get(DailyEntry, entry_id)
        paper = session.get(Paper, entry.paper_id) if entry is not None else None
        if entry is None or paper is None:
            raise HTTPException(status_code=404, detail="There is no such listing.")
        return render(request, "report_entry.html", {
            "entry": entry, "paper": paper, "reason": reason[:MAX_REASON], "error": error,
            "notice": notice,
        }, status_code=status, headers=headers)


@router.post("/entries/{entry_id}/report")
def report_listing(request: Request, entry_id: int, csrf: Csrf = "",
                   reason: Text = "") -> Response:
    """A reader reports a paper's place on a daily list (spam, off-topic, a duplicate):
    it joins the moderators' queue; the answer is a page that says so."""
    if not check_csrf(request, csrf):
        return _entry_page(request, entry_id, reason=reason, error=CSRF_MESSAGE, status=403)
    signed_in = require_user(request)  # a visitor goes to log in, then back
    now = utcnow(request)

    def report(session: Session) -> str:
        user = session.get(User, signed_in.user.id)
        assert user is not None
        return report_entry(session, user, entry_id, reason, now)

    try:
        rate_limit(request, "report", account=signed_in.user.username_key)
        thanks = run_transaction(request.app.state.engine, report)
    except TooManyRequests as exc:
        return _entry_page(request, entry_id, reason=reason, error=str(exc.detail),
                           status=429, headers=dict(exc.headers or {}))
    except ModerationError as exc:
        return _entry_page(request, entry_id, reason=reason, error=str(exc), status=409)
    except DatabaseBusy as exc:  # the form again, with what the reader wrote
        return _entry_page(request, entry_id, reason=reason, error=busy.MESSAGE, status=503,
                           headers=busy.headers_for(exc))
    return _entry_page(request, entry_id, notice=thanks)
