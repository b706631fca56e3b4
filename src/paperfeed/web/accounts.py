"""Accounts in the browser: sign up, log in, log out and the settings page (change the
password, show upvotes on the profile, delete the account).

Every POST checks its CSRF token before anything else; a missing or foreign token
answers 403 with the same form, what was typed (never a password) and a fresh token.
Wrong input answers 400 with the message next to its field; a rate limit answers 429
with ``Retry-After``, still on the form. Log-in attempts, and the password checks of the
settings page, count against the ``login`` limit of the account typed and the address.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.accounts.passwords import password_problem, verify_password
from paperfeed.accounts.sessions import SignedIn
from paperfeed.accounts.usernames import email_problem, username_key, username_problem
from paperfeed.accounts.users import AccountError, authenticate, create_user, set_password
from paperfeed.community.membership import delete_account
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import User
from paperfeed.web.recovery import send_verification
from paperfeed.web.templating import render
from paperfeed.web.viewer import (
    Csrf,
    LoginRequired,
    Text,
    TooManyRequests,
    UserDep,
    check_csrf,
    rate_limit,
    safe_next,
    sign_in,
    sign_out,
    viewer,
)

router = APIRouter(include_in_schema=False)

CSRF_MESSAGE = (
    "This form expired or did not come from this site; nothing was saved. Check what you "
    "typed and send it again."
)
WRONG_LOGIN = "Wrong username or password."
DIFFERENT_PASSWORDS = "The two passwords differ; type the same password twice."
SAVED = {
    "password": "Your password was changed. Every other session of your account was logged out.",
    "profile": "Your profile settings were saved.",
    "verify": "We mailed you a verification link; it works for 48 hours.",
    "feed": "Your personal feed has a new address; any address it had before no longer works.",
    "feed-off": "Your personal feed is off; its address no longer works.",
}

Next = Annotated[str, Form(alias="next")]
# The typed values a page may show again (never a password), cut to their longest.
MAX_SHOWN = {"username": 64, "email": 320}


def _kept(**typed: str) -> dict[str, str]:
    return {key: value[: MAX_SHOWN.get(key, 2000)] for key, value in typed.items()}


def _form(
    request: Request, template: str, values: dict[str, Any], errors: dict[str, str],
    status: int = 200, headers: dict[str, str] | None = None,
) -> Response:
    """A form page with the values typed so far and each error next to its field (the
    key ``""`` is a message for the whole form)."""
    return render(request, template, {"values": values, "errors": errors},
                  status_code=status, headers=headers)


def _limited(exc: TooManyRequests) -> tuple[dict[str, str], dict[str, str]]:
    return {"": str(exc.detail)}, dict(exc.headers or {})


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# -- sign up ---------------------------------------------------------------------------


@router.get("/register")
def register_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    return _form(request, "register.html", {"next": safe_next(next_path)}, {})


def _registration_problems(username: str, email: str, password: str,
                           confirm: str) -> dict[str, str]:
    """What is wrong with a sign-up form, field by field, before the database is asked."""
    checks = {
        "username": username_problem(username.strip()),
        "email": email_problem(email.strip().lower()),
        "password": password_problem(password),
        "password_confirm": DIFFERENT_PASSWORDS if password != confirm else None,
    }
    return {field: message for field, message in checks.items() if message}


@router.post("/register")
def register(
    request: Request, csrf: Csrf = "", username: Text = "", email: Text = "",
    password: Text = "", password_confirm: Text = "", next_path: Next = "",
) -> Response:
    values = {**_kept(username=username, email=email), "next": safe_next(next_path)}
    if not check_csrf(request, csrf):
        return _form(request, "register.html", values, {"": CSRF_MESSAGE}, 403)
    errors = _registration_problems(username, email, password, password_confirm)
    if errors:
        return _form(request, "register.html", values, errors, 400)
    try:
        rate_limit(request, "signup")
    except TooManyRequests as exc:
        errors, headers = _limited(exc)
        return _form(request, "register.html", values, errors, 429, headers)
    try:
        with write_session(request.app.state.engine) as session:
            user = create_user(session, username, email, password)
    except AccountError as exc:
        return _form(request, "register.html", values, {exc.field: exc.message}, 400)
    except IntegrityError:  # the same name or address registered a moment ago
        return _form(request, "register.html", values,
                     {"username": "That username or email address was just taken."}, 400)
    send_verification(request, user)  # a mail failure is logged; the account is made
    response = _redirect(values["next"])
    sign_in(request, response, user)
    return response


# -- log in and out ----------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next_path: str = Query("", alias="next")) -> Response:
    return _form(request, "login.html", {"next": safe_next(next_path)}, {})


def _authenticate(request: Request, username: str, password: str) -> User | None:
    """The account when the password is right; the slow hash check runs outside any
    write transaction (SQLite's writers wait for none), and a stored hash made with old
    parameters is upgraded afterwards."""
    with request.app.state.sessions() as session:
        user = authenticate(session, username, password)
        upgraded = user.password_hash if user is not None and session.is_modified(user) else None
    if user is not None and upgraded:
        with write_session(request.app.state.engine) as session:
            session.execute(update(User).where(User.id == user.id)
                            .values(password_hash=upgraded))
    return user


def _password_ok(request: Request, user_id: int, password: str) -> bool:
    """Whether `password` is the account's (checked in a read transaction)."""
    with request.app.state.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == user_id))
    return verify_password(stored, password)


@router.post("/login")
def login(
    request: Request, csrf: Csrf = "", username: Text = "", password: Text = "",
    next_path: Next = "",
) -> Response:
    values = {**_kept(username=username), "next": safe_next(next_path)}
    if not check_csrf(request, csrf):
        return _form(request, "login.html", values, {"": CSRF_MESSAGE}, 403)
    try:
        rate_limit(request, "login", account=username_key(username.strip())[:100])
    except TooManyRequests as exc:
        errors, headers = _limited(exc)
        return _form(request, "login.html", values, errors, 429, headers)
    user = _authenticate(request, username, password)
    if user is None:  # unknown name, wrong password or banned: one answer for all
        return _form(request, "login.html", values, {"": WRONG_LOGIN}, 400)
    response = _redirect(values["next"])
    sign_in(request, response, user)
    return response


@router.get("/logout")
def logout_form(request: Request) -> Response:
    return _form(request, "logout.html", {}, {})


@router.post("/logout")
def logout(request: Request, csrf: Csrf = "") -> Response:
    if not check_csrf(request, csrf):
        return _form(request, "logout.html", {}, {"": CSRF_MESSAGE}, 403)
    response = _redirect("/")
    sign_out(request, response)
    return response


# -- settings -----------------------------------------------------------------------------


@router.get("/settings")
def settings_page(
    request: Request, signed_in: UserDep, saved: str = Query("", max_length=20)
) -> Response:
    return _settings(request, signed_in, {}, notice=SAVED.get(saved, ""))


def _settings(
    request: Request, signed_in: SignedIn, errors: dict[str, str], status: int = 200,
    headers: dict[str, str] | None = None, notice: str = "", typed: dict[str, str] | None = None,
) -> Response:
    from paperfeed.web.settings_page import settings_page

    return settings_page(request, signed_in, errors, status, headers, notice,
                         _kept(**(typed or {})))


def _settings_post(request: Request, csrf: str, form: str, **typed: str) -> SignedIn | Response:
    """The CSRF check (first) and the signed-in reader of a settings form; a Response
    when the form cannot go on."""
    signed_in = viewer(request)
    if not check_csrf(request, csrf):
        if signed_in is None:
            return _form(request, "login.html", {"next": "/settings"}, {"": CSRF_MESSAGE}, 403)
        return _settings(request, signed_in, {form: CSRF_MESSAGE}, 403, typed=typed)
    if signed_in is None:
        raise LoginRequired("/settings")
    try:
        rate_limit(request, "login", account=signed_in.user.username_key)
    except TooManyRequests as exc:
        errors, headers = _limited(exc)
        return _settings(request, signed_in, {form: errors[""]}, 429, headers, typed=typed)
    return signed_in


def _new_password_problems(new: str, confirm: str) -> dict[str, str]:
    problem = password_problem(new)
    if problem:
        return {"new_password": problem}
    if new != confirm:
        return {"new_password_confirm": DIFFERENT_PASSWORDS}
    return {}


@router.post("/settings/password")
def change_password(
    request: Request, csrf: Csrf = "", current_password: Text = "", new_password: Text = "",
    new_password_confirm: Text = "",
) -> Response:
    """A new password; every other session of the account ends, this one continues."""
    signed_in = _settings_post(request, csrf, "password")
    if isinstance(signed_in, Response):
        return signed_in
    errors = _new_password_problems(new_password, new_password_confirm)
    if not _password_ok(request, signed_in.user.id, current_password):
        errors = {"current_password": "That is not your current password.", **errors}
    if errors:
        return _settings(request, signed_in, errors, 400)
    with write_session(request.app.state.engine) as session:
        user = session.get(User, signed_in.user.id)
        if user is not None:
            set_password(session, user, new_password, keep=signed_in.session_id)
    return _redirect("/settings?saved=password")


@router.post("/settings/profile")
def change_profile(
    request: Request, csrf: Csrf = "", show_upvotes: Annotated[str | None, Form()] = None,
) -> Response:
    """Whether the profile page lists what the account upvoted."""
    signed_in = viewer(request)
    if not check_csrf(request, csrf):
        if signed_in is None:
            return _form(request, "login.html", {"next": "/settings"}, {"": CSRF_MESSAGE}, 403)
        return _settings(request, signed_in, {"profile": CSRF_MESSAGE}, 403)
    if signed_in is None:
        raise LoginRequired("/settings")
    with write_session(request.app.state.engine) as session:
        user = session.get(User, signed_in.user.id)
        if user is not None:
            user.show_upvotes = show_upvotes is not None
    return _redirect("/settings?saved=profile")


@router.post("/settings/delete")
def delete(
    request: Request, csrf: Csrf = "", confirm_username: Text = "", password: Text = "",
) -> Response:
    """Delete the account: comments stay as "deleted user", votes go, sessions end."""
    signed_in = _settings_post(request, csrf, "delete", confirm_username=confirm_username)
    if isinstance(signed_in, Response):
        return signed_in
    name = signed_in.user.username
    errors: dict[str, str] = {}
    if username_key(confirm_username.strip()) != signed_in.user.username_key:
        errors["confirm_username"] = f"Type your username, {name}, to confirm."
    if not _password_ok(request, signed_in.user.id, password):
        errors["delete_password"] = "That is not your password."
    if errors:
        return _settings(request, signed_in, errors, 400,
                         typed={"confirm_username": confirm_username})
    with write_session(request.app.state.engine) as session:
        user = session.get(User, signed_in.user.id)
        if user is not None:
            delete_account(session, user)
    response = _redirect("/")
    sign_out(request, response)
    return response
