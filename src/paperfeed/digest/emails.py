"""A period's digest as a letter (``mail/letters.py``: the site's frame and CSS).

Everything from papers or subscribers is escaped in the HTML and left plain in the
text. A digest's HTML is put together from pieces inlined and checked
(:func:`~paperfeed.mail.message.check_html`) once per run (the frame, each paper, the
section headings), with only escaped text between them, so rendering and building the
thousandth digest costs string joins rather than parsing its HTML again."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from paperfeed.config import Settings
from paperfeed.digest.compose import Digest, DigestItem, DigestPaper
from paperfeed.digest.periods import Period
from paperfeed.mail.letters import BODY, Letter, frame, inline_fragment, split
from paperfeed.mail.message import check_html

TEMPLATES = Path(__file__).with_name("templates")
WHY = "<!--pf:why-->"
_MANAGE, _UNSUBSCRIBE, _EMAIL = "%%PF-MANAGE%%", "%%PF-UNSUBSCRIBE%%", "%%PF-EMAIL%%"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(["html"]), auto_reload=False)


def _piece(html: str) -> str:
    """A piece of a digest's HTML: CSS inlined, and checked (ValueError otherwise)."""
    inlined = inline_fragment(html)
    check_html(inlined)
    return inlined


class DigestRenderer:
    """Renders the digests of one period for one site (see the module notes)."""

    def __init__(self, settings: Settings, period: Period) -> None:
        self.settings = settings
        self.period = period
        self.base_url = settings.base_url.rstrip("/")
        footer = (
            f"You get this {period.kind} digest because {_EMAIL} subscribed at "
            f'<a href="{escape(self.base_url)}/">{escape(settings.site_name)}</a>.<br>'
            f'<a href="{_MANAGE}">Change what you get</a> · '
            f'<a href="{_UNSUBSCRIBE}">Unsubscribe</a>'
        )
        whole = frame(settings, "%%PF-SUBJECT%%", self.heading, footer)
        check_html(whole)
        self._top, self._bottom = split(whole, BODY)
        why = _piece('<p class="why">%%PF-WHY%%</p>')
        self._why_open, self._why_close = split(why, "%%PF-WHY%%")
        self._sections = {
            name: _piece(f"<h2>{escape(text)}</h2>")
            for name, text in self.section_titles.items()
        }
        self._papers: dict[str, tuple[str, str]] = {}

    @property
    def heading(self) -> str:
        if self.period.kind == "daily":
            return f"Papers for {self.period.label}"
        return f"Papers of {self.period.label}"

    @property
    def section_titles(self) -> dict[str, str]:
        when = "today" if self.period.kind == "daily" else "this week"
        return {"trending": f"Trending {when}", "matched": "New in your topics"}

    def subject(self, digest: Digest) -> str:
        count = digest.papers
        papers = "1 paper" if count == 1 else f"{count} papers"
        return f"{self.settings.site_name}: {papers} for {self.period.label}"

    def _paper_html(self, paper: DigestPaper) -> tuple[str, str]:
        pieces = self._papers.get(paper.arxiv_id)
        if pieces is None:
            html = _environment().get_template("paper.html").render(
                paper=paper, base_url=self.base_url)
            pieces = split(_piece(html), WHY)
            self._papers[paper.arxiv_id] = pieces
        return pieces

    def _items_html(self, items: list[DigestItem], out: list[str]) -> None:
        for item in items:
            before, after = self._paper_html(item.paper)
            out.append(before)
            if item.reasons:
                out.append(self._why_open + escape("; ".join(item.reasons)) + self._why_close)
            out.append(after)

    def _items_text(self, items: list[DigestItem], out: list[str]) -> None:
        for number, item in enumerate(items, 1):
            paper = item.paper
            out.append(f"{number}. {paper.title}")
            byline = paper.authors + (f" · {paper.category}" if paper.category else "")
            out.append(f"   {byline}")
            if item.reasons:
                out.append(f"   Why: {'; '.join(item.reasons)}")
            out.append(f"   {paper.abstract}")
            out.append(f"   {self.base_url}/papers/{paper.arxiv_id}"
                       f"  ·  https://arxiv.org/pdf/{paper.arxiv_id}")
            out.append("")

    def render(self, digest: Digest, *, manage_url: str, unsubscribe_url: str) -> Letter:
        """The digest as a letter, with this subscriber's links and address."""
        subject = self.subject(digest)
        email = digest.subscription.email
        html: list[str] = [self._top.replace("%%PF-SUBJECT%%", escape(subject))]
        text: list[str] = [f"{self.settings.site_name}: {self.heading}", ""]
        for name, items in (("trending", digest.trending), ("matched", digest.matched)):
            if not items:
                continue
            html.append(self._sections[name])
            self._items_html(items, html)
            text.extend([self.section_titles[name].upper(), ""])
            self._items_text(items, text)
        html.append(self._bottom.replace(_MANAGE, escape(manage_url))
                    .replace(_UNSUBSCRIBE, escape(unsubscribe_url))
                    .replace(_EMAIL, escape(email)))
        text.extend([
            "-- ",
            f"You get this {self.period.kind} digest because {email} subscribed at "
            f"{self.settings.site_name} ({self.base_url}/).",
            f"Change what you get: {manage_url}",
            f"Unsubscribe: {unsubscribe_url}",
        ])
        return Letter(subject, "\n".join(text) + "\n", "".join(html), html_checked=True)

