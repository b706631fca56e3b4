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
