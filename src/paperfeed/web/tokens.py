"""API tokens in the browser: ``/settings/tokens`` lists the account's live tokens
(name, first characters, read or read-write, made and last used), makes a new one
(shown once, on the page that answers the form, never again) and revokes one.
Every form carries the CSRF token; the page is never cached."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.accounts import api_tokens
from paperfeed.accounts.sessions import SignedIn
from paperfeed.storage.engine import write_session
from paperfeed.web.accounts import CSRF_MESSAGE
from paperfeed.web.templating import render
from paperfeed.web.viewer import Csrf, LoginRequired, Text, UserDep, check_csrf, utcnow, viewer

router = APIRouter(include_in_schema=False)

PATH = "/settings/tokens"
NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {"revoked": "The token was revoked; it no longer works."}


def _page(request: Request, signed_in: SignedIn, *, error: str = "", notice: str = "",
          new_token: str = "", name: str = "", status: int = 200) -> Response:
    with request.app.state.sessions() as session:
        tokens = api_tokens.live_tokens(session, signed_in.user.id)
    return render(request, "tokens.html", {
        "tokens": tokens, "error": error, "notice": notice, "new_token": new_token,
        "name": name[:api_tokens.MAX_NAME], "max_name": api_tokens.MAX_NAME,
    }, status_code=status, headers=NO_STORE)


def _signed_in(request: Request, csrf: str) -> SignedIn | Response:
    signed_in = viewer(request)
    if signed_in is None:
        raise LoginRequired(PATH)
    if not check_csrf(request, csrf):
        return _page(request, signed_in, error=CSRF_MESSAGE, status=403)
    return signed_in


@router.get(PATH)
def tokens_page(request: Request, signed_in: UserDep, done: str = "") -> Response:
    return _page(request, signed_in, notice=NOTICES.get(done, ""))


@router.post(PATH)
def create_token(request: Request, csrf: Csrf = "", name: Text = "",
                 scope: Text = "read") -> Response:
    signed_in = _signed_in(request, csrf)
    if isinstance(signed_in, Response):
        return signed_in
    try:
        with write_session(request.app.state.engine) as session:
            made = api_tokens.create(session, signed_in.user, name, write=scope == "write",
                                     now=utcnow(request))
    except api_tokens.TokenError as exc:
        return _page(request, signed_in, error=str(exc), name=name, status=400)
    return _page(request, signed_in, new_token=made.token, status=201)


@router.post(PATH + "/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, csrf: Csrf = "") -> Response:
    signed_in = _signed_in(request, csrf)
    if isinstance(signed_in, Response):
        return signed_in
    with write_session(request.app.state.engine) as session:
        found = api_tokens.revoke(session, signed_in.user.id, token_id, now=utcnow(request))
    if not found:
        return _page(request, signed_in, error="There is no such token.", status=404)
    return RedirectResponse(PATH + "?done=revoked", status_code=303)
