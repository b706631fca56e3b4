"""The bundled demo data and the demo builder, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from importlib import resources

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperfeed.accounts.users import authenticate
from paperfeed.demo.builder import (
    DEMO_ADMIN,
    DEMO_ADMIN_PASSWORD,
    DEMO_DAYS,
    build_demo,
    load_papers,
    to_record,
)
from paperfeed.ids import canonical_id
from paperfeed.storage.models import Comment, DailyEntry, Paper, User, Vote
from paperfeed.storage.paper_json import paper_to_dict

CANONICAL_KEYS = {
    "id", "version", "title", "abstract", "authors", "primary_category", "categories",
    "published", "updated", "comments", "journal_ref", "doi", "license", "withdrawn", "upvotes",
}


def test_bundled_papers_are_canonical_paper_json() -> None:
    papers = load_papers()
    assert 200 <= len(papers) <= 300
    ids = [p["id"] for p in papers]
    assert len(set(ids)) == len(ids)
    for p in papers:
        assert set(p) == CANONICAL_KEYS
        assert canonical_id(p["id"]) == p["id"]
        assert p["title"] and p["abstract"] and p["authors"]
        assert p["categories"][0] == p["primary_category"]
        assert "\n" not in p["title"] + p["abstract"]
        assert not any("(" in a for a in p["authors"])  # affiliations dropped


def test_bundled_papers_mix_subjects_and_include_latex() -> None:
    papers = load_papers()
    primary = Counter(p["primary_category"] for p in papers)
    for cat in ("cs.LG", "cs.CL", "cs.CV"):
        assert primary[cat] >= 20, cat
    assert sum(n for c, n in primary.items() if c.startswith("math.")) >= 20
    assert sum(n for c, n in primary.items() if c.split(".")[0] in
               ("quant-ph", "hep-th", "hep-ph", "gr-qc", "astro-ph", "cond-mat")) >= 20
    assert sum("$" in p["title"] for p in papers) >= 10


def test_the_comments_key_of_the_bundled_json_is_the_arxiv_comment() -> None:
    data = {**load_papers()[0], "comments": "12 pages, 4 figures"}
    assert to_record(data).arxiv_comment == "12 pages, 4 figures"


def test_the_data_says_where_it_came_from() -> None:
    notice = resources.files("paperfeed.demo").joinpath("data/NOTICE.md").read_text("utf-8")
    assert "CC0" in notice and "28 November 2024" in notice


def test_builder_fills_five_days_with_votes_and_comments(engine: Engine) -> None:
    report = build_demo(engine)
    with Session(engine) as s:
        per_day = dict(s.execute(
            select(DailyEntry.day, func.count()).group_by(DailyEntry.day)).all())  # type: ignore[arg-type]
        assert sorted(per_day) == list(DEMO_DAYS)
        assert all(40 <= n <= 60 for n in per_day.values()), per_day
        assert s.scalar(select(func.count()).select_from(Paper)) == report.papers == 265
        users = s.scalars(select(User.username).where(User.is_demo)).all()
        assert len(users) == report.users and all(u.startswith("demo-") for u in users)
        # and one real admin account a visitor can log in with, printed by `paperfeed demo`
        admin = s.scalars(select(User).where(User.is_demo.is_(False))).one()
        assert (admin.username, admin.role) == (DEMO_ADMIN, "admin")
        assert authenticate(s, DEMO_ADMIN, DEMO_ADMIN_PASSWORD) is not None
        # denormalised counts agree with the rows
        votes = dict(s.execute(
            select(Vote.paper_id, func.count()).group_by(Vote.paper_id)).all())  # type: ignore[arg-type]
        comments = dict(s.execute(
            select(Comment.paper_id, func.count()).group_by(Comment.paper_id)).all())  # type: ignore[arg-type]
        for paper in s.scalars(select(Paper)):
            assert paper.vote_count == votes.get(paper.id, 0)
            assert paper.comment_count == comments.get(paper.id, 0)
        counts = sorted((p.vote_count for p in s.scalars(select(Paper))), reverse=True)
        assert counts[0] >= 20 and counts[len(counts) // 2] <= 6  # a few papers lead
        assert report.votes == sum(counts) and report.comments == sum(comments.values())


def test_builder_is_deterministic(engine: Engine, sqlite_url: str) -> None:
    from paperfeed.storage import migrate
    from paperfeed.storage.engine import make_engine

    other = make_engine(sqlite_url.replace("test.db", "other.db"))
    migrate.upgrade(other)
    build_demo(engine)
    build_demo(other)

    def snapshot(eng: Engine) -> list[tuple[str, object, int]]:
        with Session(eng) as s:
            rows = s.execute(
                select(Paper, DailyEntry.day).join(DailyEntry, DailyEntry.paper_id == Paper.id)
            ).all()
            return sorted((p.arxiv_id, day, p.vote_count) for p, day in rows)

    assert snapshot(engine) == snapshot(other)
    with Session(engine) as s:
        stored = s.scalar(select(Paper).where(Paper.arxiv_id == "2302.07414"))
        assert stored is not None
        bundled = next(p for p in load_papers() if p["id"] == "2302.07414")
        as_json = paper_to_dict(stored)
        assert {k: v for k, v in as_json.items() if k != "upvotes"} == {
            k: v for k, v in bundled.items() if k != "upvotes"
        }
    other.dispose()
