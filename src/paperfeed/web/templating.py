"""The Jinja2 environment (autoescape on) and `render`, shared by every HTML page.

Other page modules render with ``render(request, "name.html", {...})``; templates extend
``base.html`` and may include ``_card.html`` (expects ``paper`` and optionally ``day``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from paperfeed import __version__
from paperfeed.ids import abs_url, pdf_url
from paperfeed.text import shorten_authors
from paperfeed.web.mathtext import render_math_text

TEMPLATES = Path(__file__).with_name("templates")


def format_day(day: date) -> str:
    """'Thursday, 28 November 2024'."""
    return f"{day:%A}, {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    """'Thu 28 Nov'."""
    return f"{day:%a} {day.day} {day:%b}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# Rendered cards, keyed on everything _card.html shows (see render_card).
_CARDS: dict[tuple[Any, ...], str] = {}
_MAX_CARDS = 8192


def render_card(paper: Any, rank: int | None = None, **extra: Any) -> Markup:
    """One paper card (``_card.html``), reused while the shown fields are unchanged.

    The key holds every field the card shows; anything else a card should depend on
    (per-user state, say) must be passed in ``extra`` so it is part of the key."""
    key = (
        rank, paper.arxiv_id, paper.title, paper.abstract, tuple(paper.authors or ()),
        tuple(paper.categories or ()), bool(paper.withdrawn), paper.vote_count,
        paper.comment_count, tuple(sorted(extra.items())),
    )
    html = _CARDS.get(key)
    if html is None:
        html = environment().get_template("_card.html").render(paper=paper, rank=rank, **extra)
        if len(_CARDS) >= _MAX_CARDS:
            _CARDS.clear()
        _CARDS[key] = html
    return Markup(html)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["tex"] = render_math_text
    env.filters["short_authors"] = shorten_authors
    env.filters["format_day"] = format_day
    env.filters["short_day"] = short_day
    env.globals["abs_url"] = abs_url
    env.globals["pdf_url"] = pdf_url
    env.globals["plural"] = plural
    env.globals["card"] = render_card
    env.globals["version"] = __version__
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the site-wide context (settings, request, search query)."""
    settings = request.app.state.settings
    values: dict[str, Any] = {
        "request": request,
        "site_name": settings.site_name,
        "demo": settings.demo,
        "query": "",
    }
    if context:
        values.update(context)
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)
