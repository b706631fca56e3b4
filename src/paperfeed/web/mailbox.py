"""The demo's mailbox: in demo mode without an SMTP server, everything the site mails
goes to a Maildir in the data directory, and these pages show it, so a visitor can
subscribe, follow the confirmation link, read a digest and leave, all on the demo site.
A button sends the digests of the demo's latest list day at once (the worker would at
its hour). Outside demo mode these pages do not exist (404)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from paperfeed.digest import periods
from paperfeed.digest.service import send
from paperfeed.mail import mailer
from paperfeed.mail.transport import StoredMail, get_maildir_message, read_maildir
from paperfeed.storage import queries
from paperfeed.web.templating import render
from paperfeed.web.viewer import Csrf, require_csrf

router = APIRouter(include_in_schema=False)

# The HTML part is shown in a frame under its own policy: no scripts, no requests.
MAIL_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox")


def _box(request: Request) -> Path:
    box = mailer.demo_mailbox(request.app.state.settings)
    if box is None:
        raise HTTPException(status_code=404, detail="There is no mailbox on this site.")
    return box


def _message(request: Request, key: str) -> StoredMail:
    stored = get_maildir_message(_box(request), key)
    if stored is None:
        raise HTTPException(status_code=404, detail="No such message in the mailbox.")
    return stored


_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Plain text as HTML with its web addresses as links (everything escaped)."""
    out: list[str] = []
    start = 0
    for match in _URL.finditer(text):
        out.append(str(escape(text[start:match.start()])))
        url = escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        start = match.end()
    out.append(str(escape(text[start:])))
    return Markup("".join(out))


@router.get("/mailbox")
def mailbox(request: Request) -> Response:
    box = _box(request)
    messages = read_maildir(box, limit=100) if box.exists() else []
    return render(request, "mailbox.html", {"messages": messages, "message": None})


@router.get("/mailbox/{key}")
def mailbox_message(request: Request, key: str) -> Response:
    return render(request, "mailbox.html", {"messages": [], "message": _message(request, key),
                                            "linkify": linkify})


@router.get("/mailbox/{key}/html")
def mailbox_html(request: Request, key: str) -> Response:
    stored = _message(request, key)
    return HTMLResponse(stored.html or "<p>(no HTML part)</p>", headers={
        "content-security-policy": MAIL_POLICY, "x-frame-options": "SAMEORIGIN"})


@router.post("/mailbox/send-digests")
def send_now(request: Request, csrf: Csrf = "") -> Response:
    """Send the digests of the latest list day (daily) and its week (weekly) now."""
    _box(request)
    require_csrf(request, csrf)
    engine = request.app.state.engine
    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        day = queries.latest_day(session)
    if day is not None:
        for kind in ("daily", "weekly"):
            send(engine, settings, periods.containing(kind, day))
    return RedirectResponse("/mailbox", status_code=303)
