"""List pages rendered once for everybody and filled in for each reader.

A list page (the daily list, trending, a week or a month) is the same for every reader
but for two things: the account links in the header and the vote control on each card
(upvoted or not, the CSRF token, where to come back to). :func:`list_page` renders the
page once as a *shell*, with markers where those go, and fills the markers in for the
reader of each request: the account links from the session, and the vote controls with
each listed paper's current count and whether this reader upvoted it (one query by
primary key for the whole page). A signed-in reader's page therefore costs the session
lookup and that one query, not the list's queries and fifty cards.

Shells are kept per process for ``seconds`` (``serve`` uses its page-cache lifetime, 1 s
by default; 0, as in ``create_app``'s default, renders the shell for every request).
When one expires, the next request renders it afresh while the others go on with the
expired copy for that long, so a burst of readers never renders one page many times at
once. A state-changing request answered by this process forgets them all (and a render
that began before it is not kept), so what a reader just did shows at once wherever
their next page comes from this process; another process shows it within ``seconds``.
Counts and vote states are never stale: they are read for every request.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from paperfeed.render.jinja import VoteControlMaker
from paperfeed.storage import queries
from paperfeed.web.deps import read_session
from paperfeed.web.templating import account_nav, page_html, subscribe_form
from paperfeed.web.viewer import csrf_token, finish_response, viewer
from paperfeed.web.votecontrols import control_paths

# Markers a shell holds where the reader's parts go. Nothing from data can produce them:
# every value shown is escaped, so "<!--" never comes from a title or a name.
ACCOUNT_MARK = "<!--pf:account-->"
SUBSCRIBE_MARK = "<!--pf:subscribe-->"
_VOTE_MARK = "<!--pf:vote:{}-->"
_MARKS = re.compile(r"<!--pf:(?:(account)|(subscribe)|vote:(\d+))-->")
ACCOUNT_SLOT = -1
SUBSCRIBE_SLOT = -2


@dataclass(frozen=True, slots=True)
class ListedPaper:
    id: int
    vote_count: int  # when the shell was rendered
    controls: VoteControlMaker  # its vote control on this page, holes for the reader


@dataclass(frozen=True, slots=True)
class Shell:
    """A page cut at its markers: ``parts[i]`` is followed by slot ``slots[i]``
    (:data:`ACCOUNT_SLOT`, :data:`SUBSCRIBE_SLOT`, or an index into ``papers``);
    ``parts`` has one more item."""

    parts: tuple[str, ...]
    slots: tuple[int, ...]
    papers: tuple[ListedPaper, ...]
    expires: float


class _MarkingVotes:
    """``vote_controls`` while a shell renders: a marker per card, and the paper noted
    with its control on this page (`here`: the page's path and query)."""

    def __init__(self, here: str) -> None:
        self.here = here
        self.papers: list[ListedPaper] = []

    def __call__(self, paper: Any) -> Markup:
        maker = VoteControlMaker.for_page(paper.arxiv_id,
                                          *control_paths(self.here, paper.arxiv_id))
        self.papers.append(ListedPaper(paper.id, int(paper.vote_count), maker))
        return Markup(_VOTE_MARK.format(len(self.papers) - 1))


def _here(request: Request) -> str:
    url = request.url
    return url.path + (f"?{url.query}" if url.query else "")


def make_shell(html: str, papers: list[ListedPaper], expires: float) -> Shell:
    parts: list[str] = []
    slots: list[int] = []
    start = 0
    for match in _MARKS.finditer(html):
        parts.append(html[start:match.start()])
        if match.group(1):
            slots.append(ACCOUNT_SLOT)
        elif match.group(2):
            slots.append(SUBSCRIBE_SLOT)
        else:
            slots.append(int(match.group(3)))
        start = match.end()
    parts.append(html[start:])
    return Shell(tuple(parts), tuple(slots), tuple(papers), expires)


class ShellCache:
    """Shells by path and query string, kept ``seconds`` (0: not kept), at most
    ``max_entries`` of them, least recently used dropped first. ``clock`` is where it
    reads the time (seconds, monotonic), a seam for tests."""

    def __init__(self, seconds: float = 0.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._shells: OrderedDict[tuple[str, str], Shell] = OrderedDict()
        self._rendering: set[tuple[str, str]] = set()
        self._generation = 0
        self._lock = threading.Lock()  # routes run in the server's thread pool

    def get(self, key: tuple[str, str]) -> Shell | None:
        """The fresh shell of `key`; or, while another request is rendering it afresh,
        the expired one (so a burst of readers never renders one page many times at
        once); else None, and the caller renders it (and must :meth:`put` or
        :meth:`abandon` it)."""
        with self._lock:
            shell = self._shells.get(key)
            if shell is not None and (shell.expires > self.clock() or key in self._rendering):
                self._shells.move_to_end(key)
                return shell
            self._rendering.add(key)
            return None

    def abandon(self, key: tuple[str, str]) -> None:
        """The render of `key` failed (an error page, say): another request may try."""
        with self._lock:
            self._rendering.discard(key)

    @property
    def generation(self) -> int:
        """Moves on at every :meth:`clear`: read it before rendering, give it to put."""
        return self._generation

    def put(self, key: tuple[str, str], shell: Shell, generation: int) -> None:
        """Keep `shell`, unless the cache was cleared since its render began (it may
        then show what the clearing write changed)."""
        with self._lock:
            self._rendering.discard(key)
            if self.seconds <= 0 or generation != self._generation:
                return
            self._shells[key] = shell
            self._shells.move_to_end(key)
            while len(self._shells) > self.max_entries:
                self._shells.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._shells.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._shells)


def _render_shell(request: Request, template: str, context: dict[str, Any],
                  cache: ShellCache) -> Shell:
    marking = _MarkingVotes(_here(request))
    html = page_html(request, template, {
        **context,
        "viewer": None,
        "account_nav": lambda: Markup(ACCOUNT_MARK),
        "subscribe_form": lambda: Markup(SUBSCRIBE_MARK),
        "vote_controls": marking,
    })
    return make_shell(html, marking.papers, cache.clock() + cache.seconds)


def fill(request: Request, session: Session, shell: Shell) -> str:
    """The shell with this request's reader's account links, subscribe form and vote
    controls."""
    signed_in = viewer(request)
    controls: list[str]
    if signed_in is None:
        controls = [paper.controls.visitor(paper.vote_count) for paper in shell.papers]
    else:
        state = queries.vote_state(session, signed_in.user.id, [p.id for p in shell.papers])
        token = str(escape(csrf_token(request)))
        controls = []
        for paper in shell.papers:
            count, voted = state.get(paper.id, (paper.vote_count, False))
            controls.append(paper.controls.form(count, voted, token))
    account = account_nav(request)
    subscribe = subscribe_form(request)
    out: list[str] = []
    for part, slot in zip(shell.parts, shell.slots, strict=False):
        out.append(part)
        if slot == ACCOUNT_SLOT:
            out.append(account)
        elif slot == SUBSCRIBE_SLOT:
            out.append(subscribe)
        else:
            out.append(controls[slot])
    out.append(shell.parts[-1])
    return "".join(out)


def list_page(request: Request,
              build: Callable[[Session], tuple[str, dict[str, Any]]]) -> Response:
    """A list page for this request's reader: the cached shell of this path and query
    when there is a fresh one, else `build(session)` (the template and its context, read
    from the database; it may raise, e.g. a 404) rendered as a shell and kept. Everything
    reads through one session, opened and closed here in the route's thread."""
    cache: ShellCache = request.app.state.shells
    key = (request.url.path, request.url.query)
    with read_session(request) as session:
        shell = cache.get(key)
        if shell is None:
            generation = cache.generation
            try:
                template, context = build(session)
                shell = _render_shell(request, template, context, cache)
            except BaseException:
                cache.abandon(key)
                raise
            cache.put(key, shell, generation)
        html = fill(request, session, shell)
    return finish_response(request, HTMLResponse(html))


class ForgetShellsOnWrite:
    """Forget every shell after this process answered a state-changing request."""

    def __init__(self, app: ASGIApp, cache: ShellCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.cache.clear()
