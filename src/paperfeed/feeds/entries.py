"""A stored paper as a feed entry: what a feed reader shows of it.

The title and authors are plain text with TeX accents and escapes as letters
(``Schr\\"odinger`` reads Schrödinger) through render's ``detex_text``; math between
dollars stays as its TeX source, which reads well anywhere. The summary is the abstract
the same way. Characters XML forbids are dropped and whitespace folded. Links are
absolute: the paper's page on this site (also the entry's id), and its abstract and PDF
on arXiv.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from paperfeed.feeds.document import EPOCH, FeedEntry, Link, xml_safe
from paperfeed.render.mathtext import detex_text
from paperfeed.storage.models import Paper


def site_url(base_url: str, path: str) -> str:
    """`path` (starting with /) under the site's public URL."""
    return base_url.rstrip("/") + path


def paper_url(base_url: str, arxiv_id: str) -> str:
    """The absolute URL of a paper's page on this site."""
    return site_url(base_url, "/papers/" + quote(arxiv_id, safe="/"))


def _plain(text: str | None) -> str:
    """Letters for TeX accents, no characters XML forbids, whitespace folded."""
    return " ".join(xml_safe(detex_text(text or "")).split())


def _day_time(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as an aware one."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def paper_entry(paper: Paper, base_url: str) -> FeedEntry:
    """The feed entry of `paper`. Published is the first version's date, updated the
    latest version's (both from arXiv); without them, when it was stored here."""
    stored = as_utc(paper.created_at) or EPOCH
    published = _day_time(paper.published) or stored
    updated = max(_day_time(paper.updated) or published, published)
    arxiv_id = quote(paper.arxiv_id, safe="/")
    return FeedEntry(
        id=paper_url(base_url, paper.arxiv_id),
        title=_plain(paper.title),
        link=paper_url(base_url, paper.arxiv_id),
        summary=_plain(paper.abstract),
        published=published,
        updated=updated,
        authors=tuple(_plain(name) for name in paper.authors or [] if _plain(name)),
        categories=tuple(paper.categories or []),
        related=(
            Link(f"https://arxiv.org/abs/{arxiv_id}", "related", "text/html",
                 "Abstract on arXiv"),
            Link(f"https://arxiv.org/pdf/{arxiv_id}", "related", "application/pdf", "PDF"),
        ),
    )


def changed_at(paper: Paper) -> datetime:
    """When anything about `paper` last changed here (its votes included)."""
    return as_utc(paper.modified_at) or as_utc(paper.created_at) or EPOCH
