"""Email verification and password reset in the browser.

- ``/forgot-password`` asks for a username or an address and always answers with the
  same page, whether or not an account matches (the mail goes out after the answer, so
  neither the page nor its timing says). Attempts count against the ``login`` limit of
  what was typed and of the client address.
- ``/reset-password?token=`` (from the mail) sets a new password; every session of the
  account ends and the reader logs in again with it.
- ``/settings/verify-email`` mails a verification link to the signed-in account's
  address (registration sends one too); ``/verify-email?token=`` marks it verified.

A link that does not work (unknown or changed: 400; expired or used: 410) gets a page
saying so, with a way to ask for a new one, and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.accounts.passwords import password_problem
from paperfeed.accounts.recovery import (
    MAX_TYPED,
    RESET_LIFETIME,
    VERIFY_LIFETIME,
    check_reset,
    reset_password,
    start_reset,
    start_verification,
    verify_email,
)
from paperfeed.accounts.sessions import SignedIn
from paperfeed.accounts.tokens import TokenError
from paperfeed.accounts.users import AccountError
from paperfeed.config import Settings
from paperfeed.mail import mailer
from paperfeed.mail.letters import Letter, notice
from paperfeed.mail.transport import MailError
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import User
from paperfeed.web.templating import render
from paperfeed.web.viewer import (
    Csrf,
    LoginRequired,
    Text,
    TooManyRequests,
    check_csrf,
    rate_limit,
    sign_out,
    utcnow,
    viewer,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

CSRF_MESSAGE = (
    "This form expired or did not come from this site; nothing was saved. Check what you "
    "typed and send it again."
)
DIFFERENT_PASSWORDS = "The two passwords differ; type the same password twice."
MAIL_DOWN = "We could not send the mail just now. Please try again in a few minutes."
RESET_MINUTES = int(RESET_LIFETIME.total_seconds() // 60)
VERIFY_HOURS = int(VERIFY_LIFETIME.total_seconds() // 3600)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}{path}?token={token}"


# -- letters ----------------------------------------------------------------------------


def reset_letter(settings: Settings, username: str, url: str) -> Letter:
    return notice(
        settings,
        subject=f"Reset your {settings.site_name} password",
        paragraphs=[
            f"Someone, hopefully you, asked to reset the password of the {settings.site_name} "
            f"account {username}.",
            "To choose a new password:",
        ],
        button=("Choose a new password", url),
        after=[f"The link works once, for {RESET_MINUTES} minutes. Choosing a new password "
               "logs out every session of the account. If you did not ask for this, ignore "
               "this mail: your password stays as it is."],
    )


def verification_letter(settings: Settings, username: str, url: str) -> Letter:
    return notice(
        settings,
        subject=f"Verify your email address for {settings.site_name}",
        paragraphs=[
            f"This address was given for the {settings.site_name} account {username}.",
            "To confirm that it is yours:",
        ],
        button=("Verify my address", url),
        after=[f"The link works once, for {VERIFY_HOURS} hours. If you did not make this "
               "account, ignore this mail."],
    )


def send_verification(request: Request, user: User) -> bool:
    """Mail a verification link to the account's address; False (and a log line) when
    it has none or the mail cannot be sent (say, no mail server is configured)."""
    if not user.email:
        return False
    settings = _settings(request)
    with write_session(request.app.state.engine) as session:
        account = session.get(User, user.id)
        if account is None or not account.email:
            return False
        token = start_verification(session, account, now=utcnow(request))
        username, email = account.username, account.email
    letter = verification_letter(settings, username, _link(settings, "/verify-email", token))
    try:
        mailer.send(settings, email, letter)
    except MailError as exc:
        log.warning("verification mail for account %s not sent: %s", user.id, exc)
        return False
    return True


def _send_reset(settings: Settings, user_id: int, email: str, letter: Letter) -> None:
    """Mail a reset link (after the answer went out); failures are only logged."""
    try:
        mailer.send(settings, email, letter)
    except MailError as exc:
        log.warning("password reset mail for account %s not sent: %s", user_id, exc)


# -- pages ------------------------------------------------------------------------------


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    return render(request, template, context, status_code=status, headers=headers)


def _bad_link(request: Request, exc: TokenError, again: str) -> Response:
    """A link that does not work: 400 when unknown, 410 when expired or used."""
    return _page(request, "recovery_done.html", {
        "view": "bad-link", "message": str(exc), "problem": exc.problem, "again": again,
    }, 400 if exc.problem == "invalid" else 410)


# -- forgot password ----------------------------------------------------------------------


@router.get("/forgot-password")
def forgot_form(request: Request) -> Response:
    return _page(request, "forgot_password.html", {"values": {}, "errors": {}})


@router.post("/forgot-password")
def forgot(request: Request, background: BackgroundTasks, csrf: Csrf = "",
           account: Text = "") -> Response:
    values = {"account": account[:MAX_TYPED]}
    if not check_csrf(request, csrf):
        return _page(request, "forgot_password.html",
                     {"values": values, "errors": {"": CSRF_MESSAGE}}, 403)
    typed = account.strip()
    if not typed:
        return _page(request, "forgot_password.html", {"values": values, "errors": {
            "account": "Type your username or the email address of your account."}}, 400)
    try:
        rate_limit(request, "login", account=typed.lower()[:100])
    except TooManyRequests as exc:
        return _page(request, "forgot_password.html",
                     {"values": values, "errors": {"": str(exc.detail)}}, 429,
                     dict(exc.headers or {}))
    settings = _settings(request)
    with write_session(request.app.state.engine) as session:
        found = start_reset(session, typed, now=utcnow(request))
        if found is not None:
            user, token = found
            letter = reset_letter(settings, user.username,
                                  _link(settings, "/reset-password", token))
            background.add_task(_send_reset, settings, user.id, user.email or "", letter)
    return _page(request, "recovery_done.html", {"view": "reset-sent",
                                                  "minutes": RESET_MINUTES})


# -- reset password -----------------------------------------------------------------------


def _reset_form(request: Request, token: str, errors: dict[str, str],
                status: int = 200) -> Response:
    return _page(request, "reset_password.html", {"token": token, "errors": errors}, status)


@router.get("/reset-password")
def reset_form(request: Request, token: str = Query("", max_length=200)) -> Response:
    try:
        with request.app.state.sessions() as session:
            user = check_reset(session, token, now=utcnow(request))
            username = user.username
    except TokenError as exc:
        return _bad_link(request, exc, "/forgot-password")
    return _page(request, "reset_password.html",
                 {"token": token, "errors": {}, "username": username})


def _new_password_problems(password: str, confirm: str) -> dict[str, str]:
    if password != confirm:
        return {"password_confirm": DIFFERENT_PASSWORDS}
    problem = password_problem(password)
    return {"password": problem} if problem else {}


@router.post("/reset-password")
def reset(request: Request, csrf: Csrf = "", token: Text = "", password: Text = "",
          password_confirm: Text = "") -> Response:
    token = token[:200]
    if not check_csrf(request, csrf):
        return _reset_form(request, token, {"": CSRF_MESSAGE}, 403)
    now = utcnow(request)
    try:
        with request.app.state.sessions() as session:
            check_reset(session, token, now=now)
    except TokenError as exc:
        return _bad_link(request, exc, "/forgot-password")
    errors = _new_password_problems(password, password_confirm)
    if errors:
        return _reset_form(request, token, errors, 400)
    try:
        with write_session(request.app.state.engine) as session:
            user_id = reset_password(session, token, password, now=now).id
    except TokenError as exc:  # used a moment ago in another tab
        return _bad_link(request, exc, "/forgot-password")
    except AccountError as exc:
        return _reset_form(request, token, {exc.field or "password": exc.message}, 400)
    signed_in = viewer(request)
    mine = signed_in is not None and signed_in.user.id == user_id
    if mine:
        request.state.viewer = None  # this browser's session ended with the others
    response = _page(request, "recovery_done.html", {"view": "reset-done"})
    if mine:
        sign_out(request, response)
    return response


# -- email verification -------------------------------------------------------------------


def _settings_page(request: Request, signed_in: SignedIn, errors: dict[str, str],
                   status: int, headers: dict[str, str] | None = None) -> Response:
    """The settings page with an error next to its verification form."""
    from paperfeed.web.settings_page import settings_page

    return settings_page(request, signed_in, errors, status, headers)


@router.post("/settings/verify-email")
def ask_verification(request: Request, csrf: Csrf = "") -> Response:
    """Mail a new verification link to the signed-in account's address."""
    signed_in = viewer(request)
    if not check_csrf(request, csrf):
        if signed_in is None:
            return _page(request, "login.html",
                         {"values": {"next": "/settings"}, "errors": {"": CSRF_MESSAGE}}, 403)
        return _settings_page(request, signed_in, {"verify": CSRF_MESSAGE}, 403)
    if signed_in is None:
        raise LoginRequired("/settings")
    user = signed_in.user
    if not user.email:
        return _settings_page(request, signed_in, {
            "verify": "Your account has no email address to verify."}, 400)
    if user.email_verified_at is not None:
        return RedirectResponse("/settings", status_code=303)
    try:
        rate_limit(request, "login", account=user.username_key)
    except TooManyRequests as exc:
        return _settings_page(request, signed_in, {"verify": str(exc.detail)}, 429,
                              dict(exc.headers or {}))
    if not send_verification(request, user):
        return _settings_page(request, signed_in, {"verify": MAIL_DOWN}, 503,
                              {"Retry-After": "300"})
    return RedirectResponse("/settings?saved=verify", status_code=303)


@router.get("/verify-email")
def verify(request: Request, token: str = Query("", max_length=200)) -> Response:
    try:
        with write_session(request.app.state.engine) as session:
            email = verify_email(session, token, now=utcnow(request)).email
    except TokenError as exc:
        return _bad_link(request, exc, "/settings")
    return _page(request, "recovery_done.html", {"view": "verified", "email": email})
