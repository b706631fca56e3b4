"""SQLite and PostgreSQL answer keyword searches alike: the same papers for the same
queries (stems, accents, phrases, fields, exclusions), and the same highlighted titles
and snippets, which are also exactly what FTS5's own highlight() and snippet() make."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from lxml import etree
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.render import snippets
from paperfeed.search import keyword
from paperfeed.search.keyword_base import phrase
from paperfeed.search.query import parse
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper
from tests.conftest import FIXTURES
from tests.search.kw_corpus import CORPUS

RSS = FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml"
DC = "{http://purl.org/dc/elements/1.1/}creator"


def rss_papers(limit: int | None = None) -> list[dict[str, object]]:
    """Real titles, authors and abstracts of the RSS fixture (CC0)."""
    out: list[dict[str, object]] = []
    for n, item in enumerate(etree.parse(str(RSS)).iter("item")):
        abstract = (item.findtext("description") or "").split("Abstract:", 1)[-1].strip()
        authors = [a.strip() for a in (item.findtext(DC) or "").split(",") if a.strip()]
        out.append({
            "arxiv_id": f"2411.{n:05d}", "title": item.findtext("title") or "",
            "abstract": abstract, "authors": authors, "categories": ["cs.LG"],
            "published": date(2024, 11, 1 + n % 28),
        })
    return out[:limit]


QUERIES = [
    "model", "language models", '"language model"', '"state of the art"', "learning -neural",
    "quantum -circuit -state", "title:diffusion", "author:müller", "author:muller",
    'author:"yann lecun"', "Müller", "naïve bayes", "graphs", "technology", "possibly",
    "reversibly", "sparse autoencoders", "neural networks cat:cs", "ﬁeld", "transformer -vision",
    '"black hole" mass', "title:quantum error", "time series forecasting", "the",
]


@pytest.fixture
def both(sqlite_url: str, pg_url: str) -> Iterator[tuple[Engine, Engine]]:
    papers = [*CORPUS, *rss_papers(400)]
    engines = (make_engine(sqlite_url), make_engine(pg_url))
    for eng in engines:
        migrate.upgrade(eng)
        with Session(eng) as s:
            for row in papers:
                cats: list[str] = row["categories"]  # type: ignore[assignment]
                s.add(Paper(**row, primary_category=cats[0]))
            s.commit()
    yield engines
    for eng in engines:
        eng.dispose()


def answers(engine: Engine, text: str) -> tuple[set[str], dict[str, tuple[str, str]]]:
    """The arXiv ids found, and each one's highlighted title and snippet."""
    q = parse(text)
    with Session(engine) as s:
        by_pk = {p.id: p.arxiv_id for p in s.query(Paper)}
    with engine.connect() as conn:
        page = keyword.search(conn, q, limit=1000)
        ids = [h.paper_id for h in page.hits]
        marks = keyword.highlights(conn, q, ids)
    return (
        {by_pk[i] for i in ids},
        {by_pk[i]: (h.title_html, h.snippet_html) for i, h in marks.items()},
    )


def test_same_papers_and_highlights_on_both_databases(both: tuple[Engine, Engine]) -> None:
    sqlite, pg = both
    for text in QUERIES:
        found_sqlite, marks_sqlite = answers(sqlite, text)
        found_pg, marks_pg = answers(pg, text)
        assert found_sqlite == found_pg, text
        assert marks_sqlite == marks_pg, text
    # The accents are folded both ways, on both.
    with_accent, without = answers(pg, "author:müller")[0], answers(pg, "author:muller")[0]
    assert with_accent == without and "2401.00002" in without


def test_highlights_are_what_fts5_makes() -> None:
    # FTS5's highlight() and snippet(…, 40) on real abstracts, against the Python
    # highlighter both databases use.
    docs = rss_papers()
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5(title, abstract,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany(
        "INSERT INTO f(rowid, title, abstract) VALUES (?, ?, ?)",
        [(n, d["title"], d["abstract"]) for n, d in enumerate(docs)],
    )
    o, c = snippets.OPEN, snippets.CLOSE
    checked = 0
    for text in ["model", '"language model" learning', "quantum state", "neural network deep",
                 "time series", "data", '"black hole"', "graph"]:
        q = parse(text)
        match = " AND ".join('"' + " ".join(t.words) + '"' for t in q.include)
        phrases = [phrase(t) for t in q.include]
        rows = db.execute(
            "SELECT rowid, highlight(f, 0, ?, ?), snippet(f, 1, ?, ?, '…', 40) FROM f"
            " WHERE f MATCH ? LIMIT 150",
            (o, c, o, c, match),
        )
        for rowid, title, snippet in rows:
            doc = docs[rowid]
            assert snippets.highlight_marked(str(doc["title"]), phrases) == title
            assert snippets.snippet_marked(str(doc["abstract"]), phrases) == snippet
            checked += 1
    assert checked > 500
