"""The settings page's "Personal feed": a reader's digest topics as an Atom or RSS feed
at a secret address, ``/feeds/user/KEY.atom`` (see :mod:`paperfeed.web.feeds`).

``POST /settings/feed`` makes a new address (a random key stored in ``users.feed_key``;
the old address, if any, stops working) and ``POST /settings/feed/off`` turns the feed
off. Both check the form's CSRF token first (403 otherwise) and need a signed-in reader.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.feeds.select import subscription_of, topic_queries
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import User
from paperfeed.web.feedlinks import FeedLink
from paperfeed.web.viewer import Csrf, LoginRequired, require_csrf, viewer

router = APIRouter(include_in_schema=False)

KEY_BYTES = 24  # 32 URL-safe characters


def personal_feed(request: Request, user: User) -> dict[str, object]:
    """What the settings page shows: the feed's Atom and RSS addresses (absolute; None
    when it is off) and the topics it follows."""
    with request.app.state.sessions() as session:
        fresh = session.get(User, user.id)
        key = fresh.feed_key if fresh is not None else None
        topics = topic_queries(subscription_of(session, user))
    base = request.app.state.settings.base_url.rstrip("/")
    link = FeedLink("Personal feed", f"{base}/feeds/user/{key}") if key else None
    return {"atom": link.atom if link else None, "rss": link.rss if link else None,
            "topics": topics}


def _set_key(request: Request, csrf: str, key: str | None) -> Response:
    require_csrf(request, csrf)
    signed_in = viewer(request)
    if signed_in is None:
        raise LoginRequired("/settings")
    with write_session(request.app.state.engine) as session:
        user = session.get(User, signed_in.user.id)
        if user is not None:
            user.feed_key = key
    saved = "feed" if key else "feed-off"
    return RedirectResponse(f"/settings?saved={saved}#feed-h", status_code=303)


@router.post("/settings/feed")
def new_address(request: Request, csrf: Csrf = "") -> Response:
    """A new secret address for the reader's feed; the old one stops working."""
    return _set_key(request, csrf, secrets.token_urlsafe(KEY_BYTES))


@router.post("/settings/feed/off")
def turn_off(request: Request, csrf: Csrf = "") -> Response:
    """No personal feed: its address stops working."""
    return _set_key(request, csrf, None)
