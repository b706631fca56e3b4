"""The keyword analyzer (storage/terms.py): the same words as SQLite's FTS5 tokenizer, and
search vectors PostgreSQL always accepts, whatever the text."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from lxml import etree
from sqlalchemy import Engine, create_engine, text

from paperfeed.storage import terms
from tests.conftest import FIXTURES, PG_URL

RSS = FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml"


def _fts5_terms(db: sqlite3.Connection) -> dict[int, list[str]]:
    """Each document's terms in order, as FTS5 indexed them."""
    out: dict[int, list[str]] = {}
    for doc, term in db.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
        out.setdefault(doc, []).append(term)
    return out


def test_same_terms_as_sqlite_fts5_on_real_abstracts() -> None:
    # 1,504 real titles and abstracts: every token, in order, as FTS5's porter unicode61
    # remove_diacritics 2 tokenizer makes it.
    items = etree.parse(str(RSS)).iter("item")
    texts = [(i.findtext("title") or "") + " " + (i.findtext("description") or "") for i in items]
    texts.append("Jürgen Müller's naïve café: Ångström-scale phenomenology, reversibly")
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5(t, tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    db.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", enumerate(texts))
    fts5 = _fts5_terms(db)
    differ = [n for n, t in enumerate(texts) if terms.lexemes(t) != fts5.get(n, [])]
    assert len(texts) > 1500
    assert differ == []


@pytest.mark.parametrize(
    ("word", "lexemes"),
    [
        ("Müller", ("muller",)),
        ("Muller", ("muller",)),
        ("Mu\u0308ller", ("muller",)),  # decomposed ü
        ("learning", ("learn",)),
        ("technology", ("technolog",)),  # FTS5's Porter rule, not Snowball's
        ("ﬁelds", ("field",)),
        ("ＳＰＡＲＳＥ", ("spars",)),
        ("Straße", ("strass",)),
        ("½", ("1", "2")),
        ("🙂", ()),
        ("the", ("the",)),  # no stop words
    ],
)
def test_query_words_analysed_like_papers(word: str, lexemes: tuple[str, ...]) -> None:
    assert terms.query_lexemes(word) == lexemes
    assert tuple(terms.lexemes(word)) == lexemes


def test_tsquery_text() -> None:
    assert terms.tsquery_term(["Müller"]) == "'muller'"
    assert terms.tsquery_term(["language", "models"], "A") == "('languag':A <-> 'model':A)"
    assert terms.tsquery_term(["🙂"]) is None


def test_vector_has_weighted_positions_and_columns_apart() -> None:
    v = terms.document_vector("Deep learning", ["Ada Lovelace"], "Learning deep models.")
    entries = dict(e.split(":", 1) for e in v.split(" ") if ":" in e)
    authors_at = 3 + terms.COLUMN_GAP  # after the title's two words and a gap
    abstract_at = authors_at + 2 + terms.COLUMN_GAP
    assert entries["'ada'"] == f"{authors_at}B"
    assert entries["'learn'"] == f"2A,{abstract_at}C"
    assert entries["'deep'"].startswith("1A,")
    # Each distinct title and author stem once more, as a field lexeme without positions.
    fields = sorted(e for e in v.split(" ") if ":" not in e)
    assert fields == ["'a~ada'", "'a~lovelac'", "'t~deep'", "'t~learn'"]


def test_field_terms_are_plain_index_lookups() -> None:
    assert terms.field_term(["Learning"], "title") == "'t~learn'"
    assert terms.field_term(["Müller"], "author") == "'a~muller'"
    assert terms.field_term(["language", "models"], "any") == "('languag' & 'model')"
    assert terms.field_term(["🙂"], "title") is None


# Text a source or a user may send: each must give a valid, bounded vector.
HOSTILE = {
    "nul": ("a\x00b", ["Mü\x00ller"], "x\x00y"),
    "lone surrogates": ("\ud800 sparse \udfff", ["\udc00"], "codes \ud83d here"),
    "rtl marks": ("\u202esparse\u202c \u200f\u05e9\u05dc\u05d5\u05dd", [], "\u200e\u061c"),
    "1 MB abstract of one word": ("t", [], "model " * 170_000),
    "1 MB abstract of distinct words": ("t", [], " ".join(f"w{i}q" for i in range(150_000))),
    "one huge token": ("x" * 5000, ["é" * 3000], "z" * 1_000_000),
    "empty": ("", [], ""),
    "quotes and backslashes": ("it's \\ 'quoted' \"x\"", ["O'Brien"], "a\\b"),
}


@pytest.fixture(scope="module")
def pg() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("no PostgreSQL server")
    eng = create_engine(PG_URL)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_postgresql_accepts_every_vector(pg: Engine, name: str) -> None:
    title, authors, abstract = HOSTILE[name]
    vector = terms.document_vector(title, authors, abstract)
    with pg.connect() as conn:
        n, size = conn.execute(
            text("SELECT length(CAST(:v AS tsvector)), pg_column_size(CAST(:v AS tsvector))"),
            {"v": vector},
        ).one()
        # What is searchable stays searchable.
        if "sparse" in title:
            assert conn.execute(
                text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                {"v": vector, "q": terms.tsquery_term(["sparse"])},
            ).scalar_one()
            assert conn.execute(
                text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                {"v": vector, "q": terms.field_term(["sparse"], "title")},
            ).scalar_one()
    assert size < 1_100_000
    assert n == len(vector.split(" ")) if vector else n == 0
