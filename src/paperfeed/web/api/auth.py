"""Who calls the API: an ``Authorization: Bearer pf_…`` token, or nobody.

- Reads work without a token. A request that sends one must send a live token (a
  wrong, malformed or revoked token is a 401, never silently anonymous).
- Writes (vote, submit, comment) need a live read-write token: none or a bad one is
  401 with ``WWW-Authenticate: Bearer``; a read-only token is 403 ``insufficient_scope``.
- The token itself is never logged or echoed: only its name and prefix are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError

from paperfeed.accounts import api_tokens
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import ApiToken
from paperfeed.storage.retry import is_contention
from paperfeed.web.api.errors import ApiError
from paperfeed.web.deps import read_session
from paperfeed.web.viewer import utcnow

bearer = HTTPBearer(auto_error=False, description="An API token from your settings page "
                    "or `paperfeed token create`, as `Authorization: Bearer pf_…`")


@dataclass(frozen=True, slots=True)
class Caller:
    """The account behind a request's token."""

    user_id: int
    username: str
    token_id: int
    can_write: bool


def _challenge(error: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="paperfeed", error="{error}"'}


def _authenticate(request: Request, token: str) -> Caller:
    now = utcnow(request)
    with read_session(request) as session:
        record = api_tokens.authenticate(session, token)
        if record is None:
            raise ApiError(401, "The API token is not valid (wrong, revoked, or its account "
                           "is banned).", "invalid_token", _challenge("invalid_token"))
        caller = Caller(record.user_id, record.user.username, record.id, record.can_write)
        touch = api_tokens.needs_touch(record, now)
    if touch:  # best effort: a database busy with other writers skips it (next time)
        try:
            with write_session(request.app.state.engine) as session:
                stored = session.get(ApiToken, caller.token_id)
                if stored is not None:
                    stored.last_used_at = now
        except DBAPIError as exc:
            if not is_contention(exc):
                raise
    request.state.api_caller = caller
    return caller


def optional_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller | None:
    """The caller of a read: None without an Authorization header; 401 for a bad token."""
    if "authorization" not in request.headers:
        return None
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "Send the API token as `Authorization: Bearer TOKEN`.",
                       "invalid_token", _challenge("invalid_request"))
    return _authenticate(request, credentials.credentials)


def writer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller of a write: a live read-write token, else 401 or 403."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "This needs an API token: `Authorization: Bearer TOKEN`.",
                       "unauthorized", _challenge("invalid_request"))
    caller = _authenticate(request, credentials.credentials)
    if not caller.can_write:
        raise ApiError(403, "This token is read-only; make a read-write token to vote, "
                       "submit or comment.", "insufficient_scope",
                       _challenge("insufficient_scope"))
    return caller


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]
Writer = Annotated[Caller, Depends(writer)]
