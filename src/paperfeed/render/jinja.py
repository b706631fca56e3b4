"""The Jinja2 environment every HTML output starts from, and the paper card.

:func:`make_environment` gives an environment with autoescape on and the shared filters
(``tex``, ``short_authors``, ``format_day``, ``short_day``) and globals (``abs_url``,
``pdf_url``, ``plural``, ``card``, ``vote_control``); an output adds its own template
folders in front of this package's ``templates/`` (which holds ``_card.html``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from paperfeed import __version__
from paperfeed.ids import abs_url, pdf_url
from paperfeed.render.format import format_day, plural, short_day, shorten_authors
from paperfeed.render.mathtext import render_math_text

TEMPLATES = Path(__file__).with_name("templates")


def make_environment(*template_dirs: Path) -> Environment:
    """An autoescaping environment loading from `template_dirs`, then this package's
    templates, with the shared filters and globals registered."""
    env = Environment(
        loader=FileSystemLoader([*template_dirs, TEMPLATES]),
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
    env.globals["card"] = _card_in_context
    env.globals["vote_control"] = vote_control
    env.globals["version"] = __version__
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The environment with only this package's templates (cards)."""
    return make_environment()


# Rendered cards, keyed on everything _card.html shows (see render_card).
_CARDS: dict[tuple[Any, ...], str] = {}
_MAX_CARDS = 8192


# Where a cached card holds the reader's vote control (see render_card).
VOTE_SLOT = "<!--vote-slot-->"


def _tally(count: int) -> str:
    label = "vote" if count == 1 else "votes"
    return (f'<span class="vote-tally"><span class="vote-count">{count}</span> '
            f'<span class="vote-label">{label}</span></span>')


_ARROW = '<span class="vote-arrow" aria-hidden="true">▲</span>'


def vote_control(
    arxiv_id: str, count: int, *, mode: str = "count", voted: bool = False, csrf: str = "",
    next_path: str = "", login_url: str = "",
) -> Markup:
    """One paper's vote control for one reader (the markup of ``_vote.html``, built here
    in Python because a page has fifty of them): ``mode`` "form" (signed in: a POST form
    with the CSRF token, the action and where to come back to), "login" (a visitor: a
    link to `login_url`) or "count" (just the count). Every value is escaped."""
    count = int(count)
    if mode == "form":
        return Markup(
            f'<form class="vote" method="post" action="/papers/{escape(arxiv_id)}/vote">\n'
            f'  <input type="hidden" name="csrf_token" value="{escape(csrf)}">\n'
            f'  <input type="hidden" name="action" value="{"unvote" if voted else "up"}">\n'
            f'  <input type="hidden" name="next" value="{escape(next_path)}">\n'
            f'  <button type="submit" class="vote-button" aria-pressed='
            f'"{"true" if voted else "false"}">{_ARROW} <span class="vote-text">'
            f'{"Unvote" if voted else "Upvote"}</span></button>\n'
            f'  {_tally(count)}\n</form>'
        )
    if mode == "login":
        return Markup(
            f'<div class="vote">\n  <a class="vote-button vote-login" href="{escape(login_url)}"'
            f' title="Log in to upvote">{_ARROW} <span class="vote-text">Upvote</span></a>\n'
            f'  {_tally(count)}\n</div>'
        )
    return Markup(f'<div class="vote">{_tally(count)}</div>')


# Holes with a random part made at start-up: no title, path or token can contain them, so
# filling one never fills text that came from data (or from the other hole's value).
_HOLE_NONCE = secrets.token_hex(8)
_CSRF_HOLE, _TALLY_HOLE = f"\x00csrf-{_HOLE_NONCE}\x00", f"\x00tally-{_HOLE_NONCE}\x00"


@dataclass(frozen=True, slots=True)
class VoteControlMaker:
    """One paper's :func:`vote_control` markup for a page, made once with holes where
    the reader's parts go, then filled per reader with two string replacements (a
    signed-in list page fills fifty of these for every view)."""

    up: str  # the form offering an upvote
    unvote: str  # the form offering to take it back
    login: str  # a visitor's link to log in

    @classmethod
    def for_page(cls, arxiv_id: str, next_path: str, login_url: str) -> VoteControlMaker:
        def form(voted: bool) -> str:
            html = vote_control(arxiv_id, 0, mode="form", voted=voted, csrf=_CSRF_HOLE,
                                next_path=next_path)
            return str(html).replace(_tally(0), _TALLY_HOLE, 1)

        login = str(vote_control(arxiv_id, 0, mode="login", login_url=login_url))
        return cls(form(False), form(True), login.replace(_tally(0), _TALLY_HOLE, 1))

    def form(self, count: int, voted: bool, escaped_csrf: str) -> str:
        """The signed-in control; `escaped_csrf` is the reader's token, HTML-escaped."""
        html = self.unvote if voted else self.up
        return html.replace(_CSRF_HOLE, escaped_csrf, 1).replace(_TALLY_HOLE, _tally(count), 1)

    def visitor(self, count: int) -> str:
        return self.login.replace(_TALLY_HOLE, _tally(count), 1)


def render_card(paper: Any, rank: int | None = None, *, vote: Markup | None = None,
                **extra: Any) -> Markup:
    """One paper card (``_card.html``), reused while the shown fields are unchanged.

    The key holds every field the card shows; anything else a card should depend on
    (an absolute ``base_url`` for links in email, say) must be passed in ``extra`` so it
    is part of the key. Per-reader state is not: the reader's vote control (`vote`, from
    :func:`vote_control`; the count alone when None) goes into the cached card's slot."""
    key = (
        rank, paper.arxiv_id, paper.title, paper.abstract, tuple(paper.authors or ()),
        tuple(paper.categories or ()), bool(paper.withdrawn), paper.vote_count,
        paper.comment_count, tuple(sorted(extra.items())),
    )
    html = _CARDS.get(key)
    if html is None:
        html = environment().get_template("_card.html").render(
            paper=paper, rank=rank, vote_slot=Markup(VOTE_SLOT), **extra
        )
        if len(_CARDS) >= _MAX_CARDS:
            _CARDS.clear()
        _CARDS[key] = html
    if vote is None:
        vote = vote_control(paper.arxiv_id, paper.vote_count)
    return Markup(html.replace(VOTE_SLOT, vote, 1))


@pass_context
def _card_in_context(context: Context, paper: Any, rank: int | None = None,
                     **extra: Any) -> Markup:
    """``{{ card(paper, rank) }}`` in a template: the vote control comes from the
    page's ``vote_controls`` (a callable paper -> Markup), when the page has one."""
    controls = context.get("vote_controls")
    vote = controls(paper) if controls is not None else None
    return render_card(paper, rank, vote=vote, **extra)
