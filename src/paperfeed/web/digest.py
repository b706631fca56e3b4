"""Email digests in the browser: subscribe (from every page's footer form or /digest),
confirm from the mailed link, manage preferences and unsubscribe from the signed links
in every digest, and the one-click unsubscribe of RFC 8058.

The footer form is part of pages cached for everyone, so it carries no per-visitor CSRF
token: a subscribe POST is accepted with a valid token or from a page of this site (the
browser's ``Origin``, or ``Sec-Fetch-Site: same-origin``); anything else is shown the
form again with a token, and nothing happens until it is sent. Whatever the address,
the answer is the same "check your inbox" page, so the form never tells whether an
address is on the list. Manage and unsubscribe links carry a signature; a tampered,
foreign or revoked one gets a clear page and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from paperfeed.accounts.tokens import TokenError
from paperfeed.digest import links, notices
from paperfeed.digest.subscriptions import (
    PreferenceError,
    Preferences,
    confirm,
    preferences_of,
    resubscribe,
    unsubscribe,
    update_preferences,
)
from paperfeed.mail.addresses import InvalidAddress
from paperfeed.mail.transport import MailError
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Subscription, User
from paperfeed.web.templating import render
from paperfeed.web.viewer import Csrf, Text, TooManyRequests, check_csrf, rate_limit, utcnow, viewer

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

BAD_LINK = ("This link does not work: it is incomplete, was changed, or belongs to a "
            "subscription that was replaced. Nothing was changed. Use the link in your "
            "latest digest, or subscribe again.")
MAIL_DOWN = ("We could not send the confirmation mail just now, so nothing will be sent "
             "to this address. Please try again later.")


def _key(request: Request) -> str:
    return str(request.app.state.settings.secret_key.get_secret_value())


def _same_origin(request: Request) -> bool:
    """Whether the browser says this POST comes from a page of this site."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower() and bool(host)


def _page(request: Request, context: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    return render(request, "digest.html", context, status_code=status, headers=headers)


def _subscribe_page(request: Request, *, email: str = "", error: str = "",
                    status: int = 200, headers: dict[str, str] | None = None) -> Response:
    signed_in = viewer(request)
    if not email and signed_in is not None:
        email = signed_in.user.email or ""
    return _page(request, {"view": "subscribe", "email": email[:320], "error": error},
                 status, headers)


def account_digest(request: Request, user: User) -> dict[str, str] | None:
    """The account's digest subscription (by account, or by its address) for the
    settings page: its status and a signed manage link; None without one."""
    with request.app.state.sessions() as session:
        query = select(Subscription).where(Subscription.user_id == user.id)
        if user.email:
            query = select(Subscription).where(or_(
                Subscription.user_id == user.id, Subscription.email_key == user.email.lower()))
        subscription = session.scalars(query.limit(1)).first()
    if subscription is None:
        return None
    return {"email": subscription.email, "status": subscription.status,
            "period": subscription.period,
            "manage": links.link("", _key(request), "manage", subscription)}


@router.get("/digest")
def subscribe_form(request: Request) -> Response:
    return _subscribe_page(request)


@router.post("/digest/subscribe")
def subscribe_post(request: Request, email: Text = "", period: Text = "daily",
                   csrf: Csrf = "") -> Response:
    if not (check_csrf(request, csrf) or _same_origin(request)):
        return _subscribe_page(request, email=email, status=403, error=(
            "Please confirm: send this form again to subscribe this address."))
    try:
        rate_limit(request, "subscribe")
    except TooManyRequests as exc:
        return _subscribe_page(request, email=email, error=str(exc.detail), status=429,
                               headers=dict(exc.headers or {}))
    settings = request.app.state.settings
    signed_in = viewer(request)
    prefs = Preferences(period=period if period in ("daily", "weekly") else "daily",
                        max_papers=settings.digest.papers)
    try:
        outcome = notices.subscribe_and_notify(
            request.app.state.engine, settings, email, now=utcnow(request), prefs=prefs,
            user_id=signed_in.user.id if signed_in else None)
        address = outcome.subscription.email
    except InvalidAddress as exc:
        return _subscribe_page(request, email=email, error=str(exc), status=400)
    except MailError as exc:
        log.warning("subscription mail not sent: %s", exc)
        return _subscribe_page(request, email=email, error=MAIL_DOWN, status=503,
                               headers={"Retry-After": "300"})
    return _page(request, {"view": "check-inbox", "email": address,
                           "hours": settings.digest.confirm_hours})


@router.get("/digest/confirm")
def confirm_link(request: Request, token: str = Query("", max_length=200)) -> Response:
    try:
        with write_session(request.app.state.engine) as session:
            subscription = confirm(session, token, now=utcnow(request))
            manage = links.link("", _key(request), "manage", subscription)
            email = subscription.email
    except TokenError as exc:
        return _page(request, {"view": "bad-link", "message": str(exc),
                               "problem": exc.problem}, 400 if exc.problem == "invalid" else 410)
    return _page(request, {"view": "confirmed", "email": email, "manage": manage})


def _subscription(request: Request, purpose: links.LinkPurpose,
                  token: str) -> Subscription | None:
    with request.app.state.sessions() as session:
        return links.check_token(session, _key(request), purpose, token)


def _bad_link(request: Request) -> Response:
    return _page(request, {"view": "bad-link", "message": BAD_LINK, "problem": "invalid"}, 400)


def _manage_page(request: Request, subscription: Subscription, token: str, *,
                 prefs: Preferences | None = None, error: str = "", saved: str = "",
                 status: int = 200) -> Response:
    return _page(request, {
        "view": "manage", "subscription": subscription, "token": token,
        "prefs": prefs or preferences_of(subscription), "error": error, "saved": saved,
        "unsubscribe": links.make_token(_key(request), "unsubscribe", subscription),
    }, status)


@router.get("/digest/manage")
def manage_form(request: Request, token: str = Query("", max_length=200)) -> Response:
    subscription = _subscription(request, "manage", token)
    if subscription is None:
        return _bad_link(request)
    return _manage_page(request, subscription, token)


def _lines(value: str) -> list[str]:
    return [part for line in value.replace(",", "\n").splitlines() if (part := line.strip())]


@router.post("/digest/manage")
def manage_post(
    request: Request, token: Text = "", csrf: Csrf = "", action: Text = "save",
    period: Text = "daily", max_papers: Text = "10", categories: Text = "",
    keywords: Text = "", authors: Text = "", searches: Text = "",
) -> Response:
    subscription = _subscription(request, "manage", token)
    if subscription is None:
        return _bad_link(request)
    prefs = Preferences(
        period=period, max_papers=int(max_papers) if max_papers.strip().isdigit() else 0,
        categories=_lines(categories), keywords=_lines(keywords), authors=_lines(authors),
        searches=[s.strip() for s in searches.splitlines() if s.strip()])
    if not check_csrf(request, csrf):
        return _manage_page(request, subscription, token, prefs=prefs, status=403, error=(
            "This form expired or did not come from this site; nothing was saved. "
            "Check it and save again."))
    now = utcnow(request)
    try:
        with write_session(request.app.state.engine) as session:
            row = session.get(Subscription, subscription.id)
            assert row is not None
            if action == "resubscribe":
                resubscribe(row, now=now)
                saved = "Welcome back: your digests start again."
            else:
                update_preferences(row, prefs, now=now)
                saved = "Saved. Your next digest follows these preferences."
            subscription = row
    except PreferenceError as exc:
        return _manage_page(request, subscription, token, prefs=prefs, error=str(exc),
                            status=400)
    return _manage_page(request, subscription, token, saved=saved)


@router.get("/digest/unsubscribe")
def unsubscribe_form(request: Request, token: str = Query("", max_length=200)) -> Response:
    subscription = _subscription(request, "unsubscribe", token)
    if subscription is None:
        return _bad_link(request)
    return _page(request, {"view": "unsubscribe", "subscription": subscription,
                           "token": token})


@router.post("/digest/unsubscribe")
async def unsubscribe_post(request: Request,
                           token: str = Query("", max_length=200)) -> Response:
    """The one-click POST of RFC 8058 (``List-Unsubscribe=One-Click``, no cookies, no
    CSRF token: the signed link is the proof) and the button of the page above; either
    answers 200 without redirecting."""
    form = await request.form()
    token = token or str(form.get("token", ""))
    return await run_in_threadpool(_unsubscribe_now, request, token)


def _unsubscribe_now(request: Request, token: str) -> Response:
    subscription = _subscription(request, "unsubscribe", token)
    if subscription is None:
        return _bad_link(request)
    with write_session(request.app.state.engine) as session:
        row = session.get(Subscription, subscription.id)
        assert row is not None
        unsubscribe(row, now=utcnow(request))
        email = row.email
    manage = links.make_token(_key(request), "manage", subscription)
    return _page(request, {"view": "unsubscribed", "email": email, "manage": manage})
