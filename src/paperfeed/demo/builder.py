"""Fill an empty, migrated database with the demo: the bundled real arXiv papers, spread
over five daily lists, with demo users, votes (skewed so a few papers lead) and a few
comments. Everything is deterministic: the same input gives the same database."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import Engine, select

from paperfeed.accounts.users import create_user
from paperfeed.ingest.upsert import upsert_records
from paperfeed.ranking.trending import trending_key
from paperfeed.records import PaperRecord, VersionRecord
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Comment, DailyEntry, Paper, User, Vote

DEMO_DAYS = (
    date(2024, 11, 22),
    date(2024, 11, 25),
    date(2024, 11, 26),
    date(2024, 11, 27),
    date(2024, 11, 28),
)
SEED = 20241128
DEMO_USERS = (
    "ada", "alan", "barbara", "claude", "donald", "edsger", "emmy", "frances", "grace",
    "hedy", "john", "karen", "katherine", "leslie", "margaret", "marie", "niklaus", "radia",
    "richard", "shafi", "sophie", "tim", "tony", "vint", "yoshua", "fei-fei", "geoffrey",
    "yann", "daphne", "judea", "andrew", "cynthia", "michael", "silvio", "ronald", "whitfield",
    "martin", "ken", "dennis", "bjarne",
)
# A real account (argon2id password, role admin) so a visitor can try /admin; the demo
# listens on 127.0.0.1 only, and `paperfeed demo` prints these.
DEMO_ADMIN = "curator"
DEMO_ADMIN_PASSWORD = "paperfeed-demo"
DEMO_COMMENTS = (
    "Clear write-up; the ablation table is the part worth reading first.",
    "Does anyone know whether the code is released? I could not find a link.",
    "The related-work section misses a couple of older results, but the main idea is neat.",
    "Nice to see error bars on every number for once.",
    "How does this compare with the baseline at equal compute (< 1% of the budget & same data)?",
    "Reading group pick for next week.",
    "The appendix has a much simpler proof sketch than the main text.",
    "Figure 3 alone makes this worth a look.",
)


@dataclass(slots=True)
class DemoReport:
    papers: int
    days: int
    users: int
    votes: int
    comments: int


def load_papers() -> list[dict[str, Any]]:
    """The bundled demo papers (canonical paper JSON), in id order."""
    text = resources.files("paperfeed.demo").joinpath("data/papers.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def to_record(data: dict[str, Any]) -> PaperRecord:
    """A canonical paper JSON object as the record every source parses into.

    The bundled file is canonical paper JSON (the keys of `paperfeed show --json`), so
    the arXiv author note keeps its documented key ``comments`` there; it becomes
    ``PaperRecord.arxiv_comment``."""
    return PaperRecord(
        id=data["id"],
        title=data["title"],
        abstract=data.get("abstract") or "",
        authors=list(data.get("authors") or []),
        primary_category=data.get("primary_category"),
        categories=list(data.get("categories") or []),
        version=data.get("version"),
        published=date.fromisoformat(data["published"]) if data.get("published") else None,
        updated=date.fromisoformat(data["updated"]) if data.get("updated") else None,
        arxiv_comment=data.get("comments"),
        journal_ref=data.get("journal_ref"),
        doi=data.get("doi"),
        license=data.get("license"),
        withdrawn=bool(data.get("withdrawn")),
        versions=[VersionRecord(version=v) for v in range(1, int(data.get("version") or 1) + 1)],
    )


def _naive_utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A UTC wall-clock time as the database stores it (naive, see models.utcnow)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def build_demo(engine: Engine) -> DemoReport:
    """Load the demo into `engine`'s (empty, migrated) database."""
    rng = random.Random(SEED)
    records = [to_record(d) for d in load_papers()]
    # The papers go in exactly as an import would store them.
    upsert_records(engine, records)
    with write_session(engine) as session:
        ids = [rec.id for rec in records]
        papers = list(
            session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids)).order_by(Paper.arxiv_id))
        )
        users = [
            User(username=f"demo-{name}", username_key=f"demo-{name}",
                 display_name=f"{name.title()} (demo)", is_demo=True, show_upvotes=True,
                 created_at=_naive_utc(2024, 11, 1, 9, 0))
            for name in DEMO_USERS
        ]
        session.add_all(users)
        create_user(session, DEMO_ADMIN, f"{DEMO_ADMIN}@demo.invalid", DEMO_ADMIN_PASSWORD,
                    role="admin").created_at = _naive_utc(2024, 11, 1, 9, 0)
        session.flush()

        order = list(papers)
        rng.shuffle(order)
        per_day = -(-len(order) // len(DEMO_DAYS))
        votes = 0
        for index, paper in enumerate(order):
            day = DEMO_DAYS[min(index // per_day, len(DEMO_DAYS) - 1)]
            start = datetime.combine(day, time(7, 0))
            submitter = users[rng.randrange(len(users))]
            entry_time = start + timedelta(minutes=3 * (index % per_day))
            session.add(
                DailyEntry(
                    day=day, paper_id=paper.id, submitted_by_id=submitter.id,
                    submitted_at=entry_time, source="demo",
                )
            )
            # Skewed popularity: most papers get a few votes, a handful lead the day.
            count = min(len(users), int(len(users) * rng.random() ** 5) + rng.randrange(3))
            vote_times = [start + timedelta(hours=2, minutes=7 * n) for n in range(count)]
            for voter, when in zip(rng.sample(users, count), vote_times, strict=True):
                session.add(
                    Vote(user_id=voter.id, paper_id=paper.id, source="demo", created_at=when)
                )
            paper.vote_count = count
            # As the vote path stores it (community.counts.refresh_votes), so /trending
            # has the demo's papers.
            paper.trending_key = trending_key(vote_times, entry_time)
            votes += count

        comments = 0
        leaders = sorted(papers, key=lambda p: (-p.vote_count, p.arxiv_id))[:10]
        for paper in leaders:
            thread: list[Comment] = []
            for n in range(1 + rng.randrange(3)):
                comment = Comment(
                    paper_id=paper.id,
                    user_id=users[rng.randrange(len(users))].id,
                    parent_id=None,
                    body=DEMO_COMMENTS[rng.randrange(len(DEMO_COMMENTS))],
                    created_at=_naive_utc(2024, 11, 28, 12, 0) + timedelta(minutes=17 * n),
                )
                if thread and n == 2:
                    session.flush()
                    comment.parent_id = thread[0].id
                session.add(comment)
                thread.append(comment)
            paper.comment_count = len(thread)
            comments += len(thread)
    return DemoReport(
        papers=len(papers), days=len(DEMO_DAYS), users=len(users), votes=votes,
        comments=comments,
    )
