"""Who is asking: the session cookie, CSRF tokens, log-in and log-out, roles and rate
limits, for every page and form.

- The session cookie (``pf_session``; ``__Host-pf_session`` and ``Secure`` when the
  base URL is https) holds an opaque random token; :mod:`paperfeed.accounts.sessions`
  keeps its hash in the database. It is ``HttpOnly`` and ``SameSite=Lax``.
- Every form that changes something carries ``csrf_token``: the session's own token for
  a signed-in reader, an HMAC of a random pre-session cookie (``pf_csrf``) for a visitor
  (the log-in and sign-up forms). :func:`check_csrf` compares it in constant time.
- ``request.app.state.clock`` (seconds since the epoch, ``time.time`` by default) is the
  only clock here, so tests move time instead of sleeping.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from paperfeed.accounts import ratelimit
from paperfeed.accounts.sessions import (
    TOUCH_EVERY,
    SignedIn,
    anonymous_csrf_token,
    end_session,
    load_session,
    needs_touch,
    same_token,
    start_session,
)
from paperfeed.config import Settings
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import User, UserSession
from paperfeed.storage.retry import is_contention
from paperfeed.web.deps import read_session

# Form fields of the site's pages: a text field, and the CSRF token that every
# state-changing form carries (checked with check_csrf).
Text = Annotated[str, Form()]
Csrf = Annotated[str, Form(alias="csrf_token")]

SESSION_COOKIE = "pf_session"
CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"


def clock(request: Request) -> float:
    """Seconds since the epoch, from the app's clock."""
    now: Callable[[], float] = request.app.state.clock
    return now()


def utcnow(request: Request) -> datetime:
    """The app clock's time as the database stores times (naive UTC)."""
    return datetime.fromtimestamp(clock(request), UTC).replace(tzinfo=None)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def secure_cookies(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def cookie_name(settings: Settings, base: str) -> str:
    """``__Host-`` names need ``Secure``, so they are only used behind https."""
    return f"__Host-{base}" if secure_cookies(settings) else base


def _set_cookie(response: Response, settings: Settings, base: str, value: str,
                max_age: int | None) -> None:
    response.set_cookie(
        cookie_name(settings, base), value, max_age=max_age, path="/", httponly=True,
        samesite="lax", secure=secure_cookies(settings),
    )


# -- who is signed in -----------------------------------------------------------------


def viewer(request: Request) -> SignedIn | None:
    """The signed-in account of this request (read once per request), or None."""
    if "viewer" in request.state._state:
        cached: SignedIn | None = request.state.viewer
        return cached
    settings = _settings(request)
    token = request.cookies.get(cookie_name(settings, SESSION_COOKIE), "")
    found: SignedIn | None = None
    if token:
        now = utcnow(request)
        with read_session(request) as session:
            found = load_session(session, token, now)
        if found is not None and needs_touch(found, now):
            _touch(request, found, now)
    request.state.viewer = found
    return found


def _touch(request: Request, signed_in: SignedIn, now: datetime) -> None:
    """Record when a session was last used, at most once an hour; a database busy with
    other writers skips it (a later request records it), so reading a page never waits
    for or fails on a write it does not need."""
    try:
        with write_session(request.app.state.engine) as session:
            session.execute(
                update(UserSession)
                .where(UserSession.id == signed_in.session_id,
                       UserSession.last_seen_at < now - TOUCH_EVERY)
                .values(last_seen_at=now)
            )
    except DBAPIError as exc:
        if not is_contention(exc):
            raise


def current_user(request: Request) -> User | None:
    signed_in = viewer(request)
    return signed_in.user if signed_in else None


class LoginRequired(HTTPException):
    """Sends a reader who is not signed in to the log-in page, and back afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(status_code=303, headers={
            "Location": "/login?next=" + quote(safe_next(next_path), safe="/")
        })


def require_user(request: Request) -> SignedIn:
    """A dependency: the signed-in reader, or a redirect to the log-in page."""
    signed_in = viewer(request)
    if signed_in is None:
        path = request.url.path
        if request.method == "GET" and request.url.query:
            path += "?" + request.url.query
        elif request.method != "GET":
            path = request.headers.get("referer", "/").split(str(request.base_url)[:-1], 1)[-1]
        raise LoginRequired(path)
    return signed_in


def require_moderator(request: Request) -> SignedIn:
    """A dependency: a signed-in moderator or admin; 403 for anyone else."""
    signed_in = require_user(request)
    if not signed_in.user.is_moderator:
        raise HTTPException(status_code=403, detail="Only moderators can use this page.")
    return signed_in


def require_admin(request: Request) -> SignedIn:
    signed_in = require_user(request)
    if not signed_in.user.is_admin:
        raise HTTPException(status_code=403, detail="Only admins can use this page.")
    return signed_in


ViewerDep = Annotated[SignedIn | None, Depends(viewer)]
UserDep = Annotated[SignedIn, Depends(require_user)]
ModeratorDep = Annotated[SignedIn, Depends(require_moderator)]
AdminDep = Annotated[SignedIn, Depends(require_admin)]


def safe_next(path: str | None, default: str = "/") -> str:
    """A local path to go back to after a form; anything else becomes `default`."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    if any(ord(ch) < 32 for ch in path):
        return default
    return path[:2000]


# -- signing in and out -----------------------------------------------------------------


def sign_in(request: Request, response: Response, user: User) -> SignedIn:
    """Start a new session for `user` (ending the one this browser had: the id rotates
    on every log-in) and set its cookie on `response`."""
    settings = _settings(request)
    old = request.cookies.get(cookie_name(settings, SESSION_COOKIE))
    with write_session(request.app.state.engine) as session:
        if old:
            end_session(session, old)
        token, signed_in = start_session(
            session, user, utcnow(request), days=settings.session_days,
            client=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    _set_cookie(response, settings, SESSION_COOKIE, token, settings.session_days * 86400)
    request.state.viewer = signed_in
    return signed_in


def sign_out(request: Request, response: Response) -> None:
    """End this browser's session (in the database) and clear its cookie."""
    settings = _settings(request)
    token = request.cookies.get(cookie_name(settings, SESSION_COOKIE))
    if token:
        with write_session(request.app.state.engine) as session:
            end_session(session, token)
    response.delete_cookie(cookie_name(settings, SESSION_COOKIE), path="/",
                           secure=secure_cookies(settings), httponly=True, samesite="lax")
    request.state.viewer = None


# -- CSRF -------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token this request's forms carry (see the module notes). For a visitor
    without a pre-session cookie one is made here and set by :func:`finish_response`."""
    signed_in = viewer(request)
    if signed_in is not None:
        return signed_in.csrf_token
    settings = _settings(request)
    cookie = request.cookies.get(cookie_name(settings, CSRF_COOKIE)) or getattr(
        request.state, "new_csrf_cookie", None
    )
    if not cookie or len(cookie) > 100:
        cookie = secrets.token_urlsafe(24)
        request.state.new_csrf_cookie = cookie
    return anonymous_csrf_token(settings.secret_key.get_secret_value(), cookie)


def check_csrf(request: Request, submitted: str | None) -> bool:
    """Whether a form's token is this browser's; False for a missing or foreign one."""
    signed_in = viewer(request)
    if signed_in is not None:
        return same_token(signed_in.csrf_token, submitted)
    settings = _settings(request)
    cookie = request.cookies.get(cookie_name(settings, CSRF_COOKIE))
    if not cookie:
        return False
    expected = anonymous_csrf_token(settings.secret_key.get_secret_value(), cookie)
    return same_token(expected, submitted)


class CsrfRejected(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            status_code=403,
            detail="This form has expired or did not come from this site. Nothing was "
            "saved; go back, reload the page and try again.",
        )


def require_csrf(request: Request, submitted: str | None) -> None:
    if not check_csrf(request, submitted):
        raise CsrfRejected()


def finish_response(request: Request, response: Response) -> Response:
    """Set the pre-session cookie made while rendering, if any."""
    cookie = getattr(request.state, "new_csrf_cookie", None)
    if cookie and viewer(request) is None:
        _set_cookie(response, _settings(request), CSRF_COOKIE, cookie, None)
    return response


# -- rate limits -------------------------------------------------------------------------


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request, action: str, *, account: str | None = None) -> None:
    """Count one `action` for the account (when given) and the client address against
    the configured limits; over either, a 429 with ``Retry-After``."""
    limits = _settings(request).rate_limits
    engine = request.app.state.engine
    now = clock(request)
    checks: list[tuple[str, str]] = []
    if account is not None and hasattr(limits, action):
        checks.append((f"{action}:account:{account}", getattr(limits, action)))
    per_address = f"{action}_per_address"
    if hasattr(limits, per_address):
        checks.append((f"{action}:address:{client_address(request)}",
                       getattr(limits, per_address)))
    elif account is None and hasattr(limits, action):
        checks.append((f"{action}:address:{client_address(request)}", getattr(limits, action)))
    for key, text in checks:
        wait = ratelimit.hit(engine, key, ratelimit.parse_limit(text), now)
        if wait is not None:
            raise TooManyRequests(wait)


class TooManyRequests(HTTPException):
    def __init__(self, wait: float) -> None:
        minutes = max(1, round(wait / 60))
        when = f"{int(wait)} seconds" if wait < 90 else f"{minutes} minutes"
        super().__init__(
            status_code=429,
            detail=f"Too many attempts. Please wait {when} and try again.",
            headers={"Retry-After": str(int(wait))},
        )
