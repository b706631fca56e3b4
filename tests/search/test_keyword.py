"""Keyword search on both databases: ranking, phrases, exclusions, fields, filters, sort,
pagination, safe highlights, and the index following inserts, updates and deletes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from paperfeed.search import keyword
from paperfeed.search.query import parse
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Paper
from tests.search.kw_corpus import add_corpus


@pytest.fixture
def corpus(engine: Engine) -> dict[str, int]:
    return add_corpus(engine)


def ids(engine: Engine, text: str, **kw: object) -> list[str]:
    """arXiv ids of the results, in order."""
    by_pk = _by_pk(engine)
    with engine.connect() as conn:
        page = keyword.search(conn, parse(text), **kw)  # type: ignore[arg-type]
    return [by_pk[h.paper_id] for h in page.hits]


def _by_pk(engine: Engine) -> dict[int, str]:
    with Session(engine) as s:
        return {p.id: p.arxiv_id for p in s.query(Paper)}


def test_title_ranks_above_abstract(engine: Engine, corpus: dict[str, int]) -> None:
    # "sparse" is in one title and in two abstracts.
    result = ids(engine, "sparse")
    assert result[0] == "2401.00001"
    assert set(result) == {"2401.00001", "2401.00002", "2404.00007"}


def test_authors_rank_above_abstract(engine: Engine, corpus: dict[str, int]) -> None:
    # "turing" only in authors; "noise" only in an abstract: the author hit scores higher.
    with engine.connect() as conn:
        author_hit = keyword.search(conn, parse("turing")).hits[0].score
        abstract_hit = keyword.search(conn, parse("noise")).hits[0].score
        title_hit = keyword.search(conn, parse("quantum")).hits[0].score
    assert title_hit > author_hit > abstract_hit


def test_all_words_required_and_stemmed(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, "language model")) == {"2401.00001", "2302.00003", "2403.00005"}
    # feature ~ features, networks ~ network
    assert set(ids(engine, "feature")) == {"2401.00001", "2404.00007"}
    assert ids(engine, "sparse molecules") == ["2401.00002"]


def test_phrase(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, '"language model"')) == {"2302.00003", "2403.00005"}


def test_exclusions(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, "language -survey")) == {"2401.00001", "2302.00003"}
    assert set(ids(engine, 'language -"language model"')) == {"2401.00001"}


def test_author_and_title_fields(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, "author:lecun")) == {"2401.00001", "2403.00005"}
    assert set(ids(engine, 'author:"Yann LeCun"')) == {"2401.00001", "2403.00005"}
    assert ids(engine, "author:müller") == ["2401.00002"]
    # "sparse" is in two abstracts too, but title: only looks at titles.
    assert ids(engine, "title:sparse") == ["2401.00001"]
    assert set(ids(engine, "title:features")) == {"2401.00001", "2404.00007"}
    # Field words match only in that field: "lovelace" as author, not in a title.
    assert ids(engine, "title:lovelace") == []


def test_category_filters(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, "cat:cs.LG")) == {"2401.00001", "2401.00002", "2403.00005"}
    assert set(ids(engine, "cat:cs")) == {
        "2401.00001", "2401.00002", "2302.00003", "2403.00005", "2404.00007"
    }
    assert ids(engine, "cat:hep-th") == ["hep-th/9901001"]
    assert ids(engine, "interpretable -cat:cs.CV") == ["2401.00001"]
    assert ids(engine, "sparse cat:cs.CV") == ["2404.00007"]
    # cs.AI is a cross-list of 2401.00001 (not its primary category).
    assert ids(engine, "cat:cs.AI") == ["2401.00001"]
    # No partial matches on category names.
    assert ids(engine, "cat:cs.L") == []


def test_date_filters(engine: Engine, corpus: dict[str, int]) -> None:
    assert set(ids(engine, "year:2024")) == {
        "2401.00001", "2401.00002", "2403.00005", "2404.00007"
    }
    assert ids(engine, "before:2023", sort="date") == ["2205.00004", "hep-th/9901001"]
    assert ids(engine, "sparse after:2024-01-11", sort="date") == ["2404.00007", "2401.00002"]
    assert ids(engine, "language year:2023") == ["2302.00003"]


def test_filters_only_list_newest_first(engine: Engine, corpus: dict[str, int]) -> None:
    assert ids(engine, "cat:cs.CV") == ["2404.00007", "2302.00003"]


def test_sort_by_date_and_pagination(engine: Engine, corpus: dict[str, int]) -> None:
    assert ids(engine, "sparse", sort="date") == ["2404.00007", "2401.00002", "2401.00001"]
    assert ids(engine, "sparse", sort="date", limit=2, offset=1) == ["2401.00002", "2401.00001"]
    with engine.connect() as conn:
        page = keyword.search(conn, parse("sparse"), limit=1)
    assert page.total == 3 and page.total_exact and len(page.hits) == 1


def test_highlights_are_safe_html(engine: Engine, corpus: dict[str, int]) -> None:
    q = parse("probing attention")
    with engine.connect() as conn:
        page = keyword.search(conn, q)
        hl = keyword.highlights(conn, q, [h.paper_id for h in page.hits])
    (h,) = hl.values()
    assert "<mark>probing</mark>" in h.snippet_html
    assert "<mark>attention</mark>" in h.snippet_html
    assert "<script" not in h.snippet_html
    # Stray markup is shown escaped, on both databases.
    assert "&lt;script&gt;" in h.snippet_html
    # Title highlighting.
    q2 = parse("quantum gates")
    with engine.connect() as conn:
        page = keyword.search(conn, q2)
        (h2,) = keyword.highlights(conn, q2, [x.paper_id for x in page.hits]).values()
    assert h2.title_html.startswith("<mark>Quantum</mark> error")
    assert "&lt;b&gt;<mark>gates</mark>&lt;/b&gt; &amp; fidelity" in h2.snippet_html


def test_index_follows_inserts_updates_deletes(engine: Engine, corpus: dict[str, int]) -> None:
    with Session(engine) as s:
        s.add(Paper(arxiv_id="2405.00010", title="Tokamak plasma control", abstract="",
                    authors=["Lise Meitner"], categories=["physics.plasm-ph"]))
        s.commit()
    assert ids(engine, "tokamak") == ["2405.00010"]
    assert ids(engine, "author:meitner") == ["2405.00010"]
    with Session(engine) as s:
        paper = s.query(Paper).filter_by(arxiv_id="2405.00010").one()
        paper.title = "Stellarator plasma control"
        s.commit()
    assert ids(engine, "tokamak") == []
    assert ids(engine, "stellarator") == ["2405.00010"]
    with Session(engine) as s:
        s.execute(delete(Paper).where(Paper.arxiv_id == "2405.00010"))
        s.commit()
    assert ids(engine, "stellarator") == []


def test_filter_ids_for_semantic_candidates(engine: Engine, corpus: dict[str, int]) -> None:
    every = list(corpus.values())
    q = keyword.required_terms(parse("neural stuff author:lecun -survey year:2024"))
    with engine.connect() as conn:
        keep = keyword.filter_ids(conn, q, every)
    assert keep == {corpus["2401.00001"]}
    with engine.connect() as conn:
        assert keyword.filter_ids(conn, parse("cat:cs.CV"), every) == {
            corpus["2302.00003"], corpus["2404.00007"]
        }


SIMPLE_QUERIES = [
    "sparse", "language model", '"language model"', "language -survey", "author:lecun",
    "title:features", "cat:cs.LG", "interpretable features", "quantum", "year:2024",
]


def test_same_results_on_both_databases(sqlite_url: str, pg_url: str) -> None:
    results = []
    for url in (sqlite_url, pg_url):
        eng = make_engine(url)
        migrate.upgrade(eng)
        add_corpus(eng)
        results.append({q: ids(eng, q) for q in SIMPLE_QUERIES})
        eng.dispose()
    assert results[0] == results[1]


def test_common_words_ranked_by_tiers(
    engine: Engine, corpus: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a word matches more papers than can be scored one by one, papers with the
    words in the title come first, then the rest, newest first; the page says so."""
    from paperfeed.search import keyword_postgres, keyword_sqlite

    monkeypatch.setattr(keyword_sqlite, "CANDIDATES", 1)
    monkeypatch.setattr(keyword_postgres, "CANDIDATES", 1)
    with engine.connect() as conn:
        page = keyword.search(conn, parse("sparse"))
    assert page.approximate and page.total == 3
    assert ids(engine, "sparse") == ["2401.00001", "2404.00007", "2401.00002"]
    assert ids(engine, "sparse", limit=1, offset=1) == ["2404.00007"]
    assert ids(engine, "sparse -probing") == ["2401.00001", "2401.00002"]
    assert ids(engine, "sparse cat:cs.LG") == ["2401.00001", "2401.00002"]


def test_optimize_keeps_results(engine: Engine, corpus: dict[str, int]) -> None:
    before = {q: ids(engine, q) for q in SIMPLE_QUERIES}
    keyword.optimize_index(engine)
    assert {q: ids(engine, q) for q in SIMPLE_QUERIES} == before
