"""The web pages' Jinja2 environment and `render`, shared by every HTML page.

The environment comes from :mod:`paperfeed.render.jinja` (autoescape on, the shared
filters, the paper card) with this package's ``templates/`` in front. Page modules render
with ``render(request, "name.html", {...})``; templates extend ``base.html`` and show
papers with ``{{ card(paper, rank) }}``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup

from paperfeed.export.formats import export_text
from paperfeed.render.jinja import make_environment
from paperfeed.web.negotiate import twin_url
from paperfeed.web.viewer import csrf_token, finish_response, viewer
from paperfeed.web.votecontrols import VoteControls

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = make_environment(TEMPLATES)
    # The paper page's "Cite" menu shows the paper's BibTeX (web/exports.py serves files).
    env.globals["cite_bibtex"] = lambda paper: export_text("bibtex", [paper])
    return env


def account_nav(request: Request) -> Markup:
    """The header's account links for this request's reader (``_account.html``)."""
    signed_in = viewer(request)
    return Markup(environment().get_template("_account.html").render(
        viewer=signed_in, csrf_token=csrf_token(request) if signed_in else ""))


def subscribe_form(request: Request) -> Markup:
    """The footer's "trending papers in your inbox" form (``_subscribe.html``): the same
    for every visitor (pages with it are cached for all; see :mod:`paperfeed.web.digest`
    for its CSRF check); a signed-in reader's has their address and session token."""
    signed_in = viewer(request)
    email = (signed_in.user.email or "") if signed_in else ""
    token = signed_in.csrf_token if signed_in else ""
    return Markup(environment().get_template("_subscribe.html").render(email=email,
                                                                        token=token))


def page_html(request: Request, template: str, context: dict[str, Any] | None = None) -> str:
    """A template rendered with the site-wide context (see :func:`render`)."""
    settings = request.app.state.settings
    values: dict[str, Any] = {
        "request": request,
        "site_name": settings.site_name,
        "demo": settings.demo,
        "query": "",
        "viewer": viewer(request),
        "csrf_token": lambda: csrf_token(request),
        "account_nav": lambda: account_nav(request),
        "subscribe_form": lambda: subscribe_form(request),
        "json_twin": twin_url(request.url.path, request.url.query),  # rel="alternate"
    }
    if context:
        values.update(context)
    if "vote_controls" not in values:  # cards on pages that did not look their votes up
        values["vote_controls"] = VoteControls(request, set(), set())
    return environment().get_template(template).render(values)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the site-wide context: settings, the request, the search
    query, ``viewer`` (the signed-in account's SignedIn, or None), ``csrf_token()``
    for forms (a visitor's pre-session cookie is set when a form asked for one),
    ``account_nav()`` (the header's account links) and ``vote_controls`` for the cards'
    vote controls (pages pass their own, built with
    :func:`paperfeed.web.votecontrols.vote_controls`, to look the votes up at once)."""
    response = HTMLResponse(page_html(request, template, context), status_code=status_code,
                            headers=headers)
    return finish_response(request, response)  # type: ignore[return-value]
