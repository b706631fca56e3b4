"""Every field a card or paper page shows is untrusted: whatever it holds, the rendered
HTML has no script, no event handler, no javascript: URL and no element from the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from markupsafe import Markup

from paperfeed.render.jinja import render_card
from paperfeed.render.markdown import render_comment
from paperfeed.render.mathtext import ALLOWED_ELEMENTS
from paperfeed.render.threads import build_thread, flatten
from paperfeed.web.comments import CommentItem
from paperfeed.web.templating import environment
from tests.times import naive_utc

PAGE_ELEMENTS = {
    "html", "head", "body", "title", "meta", "link", "a", "header", "nav", "form", "label",
    "input", "button", "div", "strong", "main", "footer", "article", "p", "h1", "h2", "h3",
    "span", "details", "summary", "section", "dl", "dt", "dd", "time", "ul", "li", "bdi",
    "textarea", "script", "em", "code", "pre", "blockquote", "ol", "br",
}
NASTY = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;script&gt;", "]]>",
    "</title>", '"><svg onload=alert(1)>', "javascript:alert(1)", "$\\href{javascript:x}{y}$",
    "$\\unicode{<img>}$", "$x<y$", "{", "$", "\\", "'", '"', "&", "\u202e",
])
TEXT = st.lists(NASTY | st.text(max_size=20), max_size=6).map("".join)
COMMENT_TIME = naive_utc(2024, 11, 28, 12, 0)


@dataclass
class FakeUser:
    username: str
    display_name: str | None = None


@dataclass
class FakeComment:
    id: int
    body: str
    user: FakeUser | None
    created_at: datetime = COMMENT_TIME
    parent_id: int | None = None
    user_id: int | None = None
    hidden: bool = False
    deleted: bool = False
    edited_at: datetime | None = None


@dataclass
class FakePaper:
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    arxiv_comment: str | None
    journal_ref: str | None
    doi: str | None
    license: str | None
    links: dict[str, str]
    arxiv_id: str = "2411.17700"
    version: int = 1
    withdrawn: bool = False
    vote_count: int = 3
    comment_count: int = 1
    published: date | None = date(2024, 11, 28)
    updated: date | None = date(2024, 11, 28)
    id: int = 1
    extra: dict[str, str] = field(default_factory=dict)


def check(markup: str) -> None:
    doc = lxml_html.document_fromstring(f"<html><body>{markup}</body></html>")
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        name = el.tag.split("}")[-1]
        if name == "script":  # only the site's own (static/votes.js), never inline
            assert el.get("src", "").startswith("/static/") and not (el.text or "").strip()
            continue
        assert name in PAGE_ELEMENTS or name in ALLOWED_ELEMENTS, name
        if name == "script":  # only the site's own files
            assert (el.get("src") or "").startswith("/static/") and not el.text, el.attrib
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), attr
            if attr in ("href", "src", "action"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


papers = st.builds(
    FakePaper, title=TEXT, abstract=TEXT, authors=st.lists(TEXT, max_size=8),
    categories=st.lists(TEXT, max_size=3), arxiv_comment=TEXT, journal_ref=TEXT, doi=TEXT,
    license=TEXT, links=st.dictionaries(TEXT, TEXT, max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(papers)
def test_cards_are_inert(paper: FakePaper) -> None:
    check(str(render_card(paper, 1)))


@settings(max_examples=100, deadline=None)
@given(papers, st.lists(st.builds(FakeComment, id=st.integers(1, 9), body=TEXT,
                                  user=st.builds(FakeUser, username=TEXT)), max_size=3))
def test_paper_pages_are_inert(paper: FakePaper, comments: list[FakeComment]) -> None:
    unique = list({c.id: c for c in comments}.values())
    thread = [
        CommentItem(row=row, html=render_comment(row.comment.body), can_reply=True,
                    can_edit=True, can_delete=True, can_report=True)
        for row in flatten(build_thread(unique))
    ]
    html = environment().get_template("paper.html").render(
        paper=paper, days=[date(2024, 11, 28)], thread=thread, comment_total=len(thread),
        comment_max_chars=20_000, similar=[paper], site_name="<b>site</b>", demo=True,
        query="<script>", viewer=None, csrf_token=lambda: "t",
        account_nav=lambda: Markup(environment().get_template("_account.html").render(
            viewer=None, csrf_token="t")),
    )
    check(html)
