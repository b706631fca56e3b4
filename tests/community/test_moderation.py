"""Moderation actions on SQLite and PostgreSQL: hiding and restoring entries and comments
(counts and the trending key follow), bans (sessions end, content hidden in one
transaction), who may ban whom, reports, and a log line for every action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperfeed.accounts.sessions import load_session, start_session
from paperfeed.accounts.users import authenticate, create_user
from paperfeed.community.counts import refresh_comments, refresh_votes
from paperfeed.community.moderation import (
    ModerationError,
    ban_user,
    hide_comment,
    hide_entry,
    report_entry,
    resolve_report,
    restore_comment,
    restore_entry,
    unban_user,
)
from paperfeed.storage import queries
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import (
    Comment,
    DailyEntry,
    ModerationAction,
    Paper,
    Report,
    User,
    UserSession,
    Vote,
)

PASSWORD = "correct horse battery"
NOW = datetime(2025, 11, 24, 12, 0, tzinfo=UTC).replace(tzinfo=None)
DAY = date(2025, 11, 24)


@dataclass
class World:
    admin: int
    mod: int
    mod2: int
    alice: int
    bob: int
    papers: list[int]
    entries: list[int]
    comments: list[int]


def build(engine: Engine) -> World:
    """Two papers on today's list submitted by alice, votes by bob, comments by both."""
    with write_session(engine) as s:
        users = {name: create_user(s, name, f"{name}@example.org", PASSWORD, role=role).id
                 for name, role in (("boss", "admin"), ("dave", "moderator"),
                                    ("carol", "moderator"), ("alice", "user"), ("bob", "user"))}
        papers = [Paper(arxiv_id=f"2511.0000{n}", title=f"Paper {n}") for n in (1, 2)]
        s.add_all(papers)
        s.flush()
        entries = [DailyEntry(day=DAY, paper_id=p.id, submitted_by_id=users["alice"],
                              submitted_at=NOW - timedelta(hours=2)) for p in papers]
        s.add_all(entries)
        s.add_all(Vote(user_id=users["bob"], paper_id=p.id, created_at=NOW - timedelta(hours=1))
                  for p in papers)
        comments = [
            Comment(paper_id=papers[0].id, user_id=users["alice"], body="Spam " * 40),
            Comment(paper_id=papers[1].id, user_id=users["alice"], body="More spam"),
            Comment(paper_id=papers[0].id, user_id=users["bob"], body="A fine comment"),
        ]
        s.add_all(comments)
        s.flush()
        for p in papers:
            refresh_votes(s, p.id)
            refresh_comments(s, p.id)
        return World(users["boss"], users["dave"], users["carol"], users["alice"], users["bob"],
                     [p.id for p in papers], [e.id for e in entries], [c.id for c in comments])


def paper(s: Session, paper_id: int) -> Paper:
    found = s.get(Paper, paper_id)
    assert found is not None
    return found


def user(s: Session, user_id: int) -> User:
    found = s.get(User, user_id)
    assert found is not None
    return found


def log(engine: Engine) -> list[tuple[str, str, str, str]]:
    with session_factory(engine)() as s:
        return [(a.moderator_name, a.action, a.target_type, a.target_label) for a in s.scalars(
            select(ModerationAction).order_by(ModerationAction.id))]


def test_hide_and_restore_entry_moves_trending_key_and_list(engine: Engine) -> None:
    w = build(engine)
    with session_factory(engine)() as s:
        before = paper(s, w.papers[0])
        assert before.trending_key is not None and before.vote_count == 1
    with write_session(engine) as s:
        entry = s.get(DailyEntry, w.entries[0])
        assert entry is not None
        action = hide_entry(s, user(s, w.mod), entry, "off-topic", NOW)
        assert action is not None
    with session_factory(engine)() as s:
        hidden = paper(s, w.papers[0])
        assert hidden.trending_key is None  # off /trending
        assert hidden.vote_count == 1  # votes stay
        entry = s.get(DailyEntry, w.entries[0])
        assert entry is not None and entry.hidden
        visible = [i.paper.id for i in queries.daily_list(s, DAY) if not i.entry.hidden]
        assert visible == [w.papers[1]]
    # A second click does nothing and logs nothing.
    with write_session(engine) as s:
        entry = s.get(DailyEntry, w.entries[0])
        assert entry is not None
        assert hide_entry(s, user(s, w.mod), entry, "", NOW) is None
    with write_session(engine) as s:
        entry = s.get(DailyEntry, w.entries[0])
        assert entry is not None
        assert restore_entry(s, user(s, w.admin), entry, "", NOW) is not None
    with session_factory(engine)() as s:
        assert paper(s, w.papers[0]).trending_key == pytest.approx(before.trending_key)
    assert log(engine) == [
        ("dave", "hide-entry", "entry", f"2511.00001 on {DAY.isoformat()}"),
        ("boss", "restore-entry", "entry", f"2511.00001 on {DAY.isoformat()}"),
    ]


def test_hide_and_restore_comment_counts_and_label(engine: Engine) -> None:
    w = build(engine)
    with session_factory(engine)() as s:
        assert paper(s, w.papers[0]).comment_count == 2
    with write_session(engine) as s:
        comment = s.get(Comment, w.comments[0])
        assert comment is not None
        hide_comment(s, user(s, w.mod), comment, "spam", NOW)
    with session_factory(engine)() as s:
        assert paper(s, w.papers[0]).comment_count == 1
        assert [c.id for c in queries.comments_for_paper(s, w.papers[0])] == [w.comments[2]]
    with write_session(engine) as s:
        comment = s.get(Comment, w.comments[0])
        assert comment is not None
        restore_comment(s, user(s, w.mod), comment, "", NOW)
    with session_factory(engine)() as s:
        assert paper(s, w.papers[0]).comment_count == 2
    entries = log(engine)
    assert [e[1] for e in entries] == ["hide-comment", "restore-comment"]
    label = entries[0][3]
    assert label.startswith("Spam Spam") and len(label) == 80 and label.endswith("…")


def test_ban_with_hide_content_in_one_transaction(engine: Engine) -> None:
    w = build(engine)
    with write_session(engine) as s:
        _token, _ = start_session(s, user(s, w.alice), NOW, days=30)
    with write_session(engine) as s:
        result = ban_user(s, user(s, w.mod), user(s, w.alice), "spammer", NOW, hide_content=True)
        assert sorted(result.hidden_comments) == sorted(w.comments[:2])
        assert sorted(result.hidden_entries) == sorted(w.entries)
        # Inside the transaction already: nothing is committed until the block ends.
        with session_factory(engine)() as other:
            if engine.dialect.name == "postgresql":
                assert not user(other, w.alice).is_banned
    with session_factory(engine)() as s:
        alice = user(s, w.alice)
        assert alice.is_banned
        assert s.scalar(select(func.count()).select_from(UserSession)
                        .where(UserSession.user_id == w.alice)) == 0
        assert load_session(s, _token, NOW) is None
        assert authenticate(s, "alice", PASSWORD) is None
        assert all(c.hidden for c in s.scalars(select(Comment).where(Comment.user_id == w.alice)))
        bobs = s.get(Comment, w.comments[2])
        assert bobs is not None and not bobs.hidden
        assert all(e.hidden for e in s.scalars(select(DailyEntry)))
        for paper_id in w.papers:
            assert paper(s, paper_id).trending_key is None
        assert paper(s, w.papers[0]).comment_count == 1
        assert paper(s, w.papers[1]).comment_count == 0
    (row,) = log(engine)
    assert row[:4] == ("dave", "ban", "user", "alice")
    with session_factory(engine)() as s:
        note = s.scalars(select(ModerationAction.note)).one()
        assert "spammer" in note and "Hid 2 comment(s) and 2 daily entries." in note
    with write_session(engine) as s:
        unban_user(s, user(s, w.mod), user(s, w.alice), "appeal", NOW)
    with session_factory(engine)() as s:
        assert not user(s, w.alice).is_banned
        assert authenticate(s, "alice", PASSWORD) is not None
    assert [r[1] for r in log(engine)] == ["ban", "unban"]


def test_ban_without_hide_content_keeps_content(engine: Engine) -> None:
    w = build(engine)
    with write_session(engine) as s:
        result = ban_user(s, user(s, w.mod), user(s, w.alice), "", NOW)
        assert result.hidden_comments == [] and result.hidden_entries == []
    with session_factory(engine)() as s:
        assert not any(c.hidden for c in s.scalars(select(Comment)))
        assert paper(s, w.papers[0]).trending_key is not None


@pytest.mark.parametrize(("actor", "target", "message"), [
    ("dave", "dave", "yourself"),
    ("boss", "boss", "yourself"),
    ("dave", "carol", "only admins can ban or unban moderators"),
    ("dave", "boss", "admins cannot be banned"),
    ("alice", "bob", "Only moderators"),
])
def test_role_rules_refuse_and_write_nothing(
    engine: Engine, actor: str, target: str, message: str
) -> None:
    w = build(engine)
    ids = {"boss": w.admin, "dave": w.mod, "carol": w.mod2, "alice": w.alice, "bob": w.bob}
    with write_session(engine) as s, pytest.raises(ModerationError) as info:
        ban_user(s, user(s, ids[actor]), user(s, ids[target]), "", NOW, hide_content=True)
    assert message in info.value.message
    with session_factory(engine)() as s:
        assert not user(s, ids[target]).is_banned
    assert log(engine) == []


def test_admin_bans_moderator_and_user_cannot_hide(engine: Engine) -> None:
    w = build(engine)
    with write_session(engine) as s:
        ban_user(s, user(s, w.admin), user(s, w.mod2), "", NOW)
    with session_factory(engine)() as s:
        assert user(s, w.mod2).is_banned
    with write_session(engine) as s:
        comment = s.get(Comment, w.comments[0])
        assert comment is not None
        with pytest.raises(ModerationError):
            hide_comment(s, user(s, w.bob), comment, "", NOW)
        # A banned moderator moderates no more.
        with pytest.raises(ModerationError):
            hide_comment(s, user(s, w.mod2), comment, "", NOW)
    assert [r[1] for r in log(engine)] == ["ban"]


def _report(engine: Engine, reporter: int, *, comment: int | None = None,
            entry: int | None = None) -> int:
    with write_session(engine) as s:
        report = Report(reporter_id=reporter, comment_id=comment, entry_id=entry,
                        reason="spam", created_at=NOW)
        s.add(report)
        s.flush()
        return report.id


def test_resolve_report_hidden_and_dismissed(engine: Engine) -> None:
    w = build(engine)
    first = _report(engine, w.bob, comment=w.comments[0])
    second = _report(engine, w.mod2, comment=w.comments[0])
    on_entry = _report(engine, w.bob, entry=w.entries[1])
    with write_session(engine) as s:
        report = s.get(Report, first)
        assert report is not None
        resolve_report(s, user(s, w.mod), report, "hidden", "", NOW)
    with session_factory(engine)() as s:
        for report_id in (first, second):
            report = s.get(Report, report_id)
            assert report is not None
            assert report.resolution == "hidden" and report.resolved_by_id == w.mod
        comment = s.get(Comment, w.comments[0])
        assert comment is not None and comment.hidden
    with write_session(engine) as s:  # already resolved: nothing more
        report = s.get(Report, second)
        assert report is not None
        assert resolve_report(s, user(s, w.mod), report, "dismissed", "", NOW) is None
    with write_session(engine) as s:
        report = s.get(Report, on_entry)
        assert report is not None
        resolve_report(s, user(s, w.mod), report, "dismissed", "fine", NOW)
    with session_factory(engine)() as s:
        report = s.get(Report, on_entry)
        assert report is not None and report.resolution == "dismissed"
        entry = s.get(DailyEntry, w.entries[1])
        assert entry is not None and not entry.hidden
    assert [r[1:3] for r in log(engine)] == [
        ("hide-comment", "comment"), ("resolve-report", "report"), ("dismiss-report", "report"),
    ]


def test_hiding_an_entry_resolves_its_reports(engine: Engine) -> None:
    w = build(engine)
    report_id = _report(engine, w.bob, entry=w.entries[0])
    with write_session(engine) as s:
        entry = s.get(DailyEntry, w.entries[0])
        assert entry is not None
        hide_entry(s, user(s, w.mod), entry, "", NOW)
    with session_factory(engine)() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.resolution == "hidden"


def test_reporting_a_listing(engine: Engine) -> None:
    w = build(engine)
    with write_session(engine) as s:
        assert "moderators will look" in report_entry(s, user(s, w.bob), w.entries[0], "spam", NOW)
        report_entry(s, user(s, w.bob), w.entries[0], "twice", NOW)  # still one report
        for who, entry, words in ((w.alice, w.entries[0], "your own submission"),
                                  (w.bob, 10**9, "not on a daily list")):
            with pytest.raises(ModerationError, match=words):
                report_entry(s, user(s, who), entry, "", NOW)
        second = s.get(DailyEntry, w.entries[1])
        assert second is not None
        hide_entry(s, user(s, w.mod), second, "", NOW)
        with pytest.raises(ModerationError, match="not on a daily list"):
            report_entry(s, user(s, w.bob), w.entries[1], "", NOW)
        ban_user(s, user(s, w.mod), user(s, w.bob), "", NOW)
        with pytest.raises(ModerationError, match="banned"):
            report_entry(s, user(s, w.bob), w.entries[0], "", NOW)
    with session_factory(engine)() as s:
        assert [(r.entry_id, r.reason) for r in s.scalars(select(Report))] == [
            (w.entries[0], "spam")]
