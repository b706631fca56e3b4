"""Comment actions on SQLite and PostgreSQL: post, reply, edit window, delete keeps the
thread's shape, reports, refusals, and the paper's comment count kept in step."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.accounts.users import create_user
from paperfeed.community.comments import (
    REPORTED,
    CommentError,
    delete_comment,
    edit_comment,
    paper_comments,
    post_comment,
    report,
)
from paperfeed.render.threads import DELETED, build_thread, flatten
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Comment, Paper, Report, User
from tests.times import naive_utc

NOW = naive_utc(2025, 11, 24, 9)
PASSWORD = "correct horse battery"


def _setup(engine: Engine) -> tuple[int, int, int, int, int]:
    """Two papers and three accounts (ada, bob, and carol the moderator)."""
    with write_session(engine) as session:
        papers = [Paper(arxiv_id=f"2411.0000{n}", version=1, title=f"Paper {n}",
                        abstract="An abstract.", authors=["A. Author"], primary_category="cs.LG",
                        categories=["cs.LG"], published=date(2024, 11, 1)) for n in (1, 2)]
        session.add_all(papers)
        session.flush()
        ada = create_user(session, "ada", "ada@example.org", PASSWORD).id
        bob = create_user(session, "bob", "bob@example.org", PASSWORD).id
        mod = create_user(session, "carol", "carol@example.org", PASSWORD, role="moderator").id
        return papers[0].id, papers[1].id, ada, bob, mod


def _count(engine: Engine, paper_id: int) -> int:
    with session_factory(engine)() as session:
        paper = session.get(Paper, paper_id)
        assert paper is not None
        return paper.comment_count


def _post(engine: Engine, user_id: int, paper_id: int, body: str, parent: int | None = None,
          when: object = NOW, **kw: int) -> int:
    with write_session(engine) as session:
        return post_comment(session, session.get(User, user_id), paper_id, body, parent,
                            when, **kw).id  # type: ignore[arg-type]


def _error(engine: Engine, action: object, *args: object, **kw: object) -> str:
    with pytest.raises(CommentError) as info, write_session(engine) as session:
        resolved = [session.get(User, a.user) if isinstance(a, _U) else a for a in args]
        action(session, *resolved, **kw)  # type: ignore[operator]
    return info.value.message


class _U:
    def __init__(self, user: int) -> None:
        self.user = user


def test_post_and_reply_keep_the_count(engine: Engine) -> None:
    paper, other, ada, bob, _ = _setup(engine)
    first = _post(engine, ada, paper, "  First!\n\nWith $x^2$.\n\n")
    reply = _post(engine, bob, paper, "A reply.", first, NOW + timedelta(minutes=1))
    assert _count(engine, paper) == 2
    assert _count(engine, other) == 0
    with session_factory(engine)() as session:
        comments = paper_comments(session, paper)
        assert [(c.id, c.parent_id, c.body) for c in comments] == [
            (first, None, "First!\n\nWith $x^2$."), (reply, first, "A reply.")]
        assert comments[0].user is not None and comments[0].user.username == "ada"


def test_refusals_write_nothing(engine: Engine) -> None:
    paper, other, ada, bob, _ = _setup(engine)
    on_other = _post(engine, bob, other, "Elsewhere.")
    assert "empty" in _error(engine, post_comment, _U(ada), paper, " \n ", None, NOW)
    long = "x" * 101
    message = _error(engine, post_comment, _U(ada), paper, long, None, NOW, max_chars=100)
    assert "101 characters" in message and "limit is 100" in message
    assert "not on this paper" in _error(engine, post_comment, _U(ada), paper, "Hi", on_other,
                                         NOW)
    assert "not on this paper" in _error(engine, post_comment, _U(ada), paper, "Hi", 99999, NOW)
    with write_session(engine) as session:
        user = session.get(User, ada)
        assert user is not None
        user.is_banned = True
    assert "banned" in _error(engine, post_comment, _U(ada), paper, "Hi", None, NOW)
    assert "Log in" in _error(engine, post_comment, None, paper, "Hi", None, NOW)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 1
    assert _count(engine, paper) == 0


def test_edit_by_the_author_within_the_window(engine: Engine) -> None:
    paper, _, ada, bob, mod = _setup(engine)
    first = _post(engine, ada, paper, "Typo hree.")
    later = NOW + timedelta(minutes=14, seconds=59)
    with write_session(engine) as session:
        edit_comment(session, session.get(User, ada), first, "Typo here.", later,
                     edit_minutes=15)
    assert "Only its author" in _error(engine, edit_comment, _U(bob), first, "Mine now", later,
                                       edit_minutes=15)
    assert "Only its author" in _error(engine, edit_comment, _U(mod), first, "Mine now", later,
                                       edit_minutes=15)
    too_late = NOW + timedelta(minutes=15, seconds=1)
    message = _error(engine, edit_comment, _U(ada), first, "Again", too_late, edit_minutes=15)
    assert "15 minutes" in message
    with session_factory(engine)() as session:
        comment = session.get(Comment, first)
        assert comment is not None
        assert (comment.body, comment.edited_at) == ("Typo here.", later)


def test_an_unchanged_edit_is_not_marked_edited(engine: Engine) -> None:
    paper, _, ada, _, _ = _setup(engine)
    first = _post(engine, ada, paper, "Same.")
    with write_session(engine) as session:
        edit_comment(session, session.get(User, ada), first, "Same.", NOW)
    with session_factory(engine)() as session:
        comment = session.get(Comment, first)
        assert comment is not None and comment.edited_at is None


def test_delete_keeps_the_thread_shape(engine: Engine) -> None:
    paper, _, ada, bob, mod = _setup(engine)
    first = _post(engine, ada, paper, "Parent.")
    reply = _post(engine, bob, paper, "Reply.", first, NOW + timedelta(minutes=1))
    leaf = _post(engine, bob, paper, "Spam!", None, NOW + timedelta(minutes=2))
    assert "author or a moderator" in _error(engine, delete_comment, _U(bob), first)
    with write_session(engine) as session:
        delete_comment(session, session.get(User, ada), first)
        delete_comment(session, session.get(User, mod), leaf)  # a moderator may
        delete_comment(session, session.get(User, ada), first)  # twice: no change
    assert _count(engine, paper) == 1
    with session_factory(engine)() as session:
        comments = paper_comments(session, paper)
        gone = {c.id: (c.deleted, c.body) for c in comments}
        assert gone[first] == (True, "") and gone[leaf] == (True, "")
        rows = flatten(build_thread(comments))
        assert [(r.comment.id, r.depth, r.placeholder) for r in rows] == [
            (first, 0, DELETED), (reply, 1, None)]
    assert "deleted" in _error(engine, post_comment, _U(bob), paper, "Hi", first, NOW)


def test_report_once_per_reader(engine: Engine) -> None:
    paper, _, ada, bob, mod = _setup(engine)
    first = _post(engine, ada, paper, "Buy pills.")
    with write_session(engine) as session:
        assert report(session, session.get(User, bob), first, "  spam  ", NOW) == REPORTED
    with write_session(engine) as session:
        assert report(session, session.get(User, bob), first, "again", NOW) == REPORTED
        assert report(session, session.get(User, mod), first) == REPORTED
    with session_factory(engine)() as session:
        rows = session.execute(select(Report.reporter_id, Report.comment_id, Report.reason)
                               .order_by(Report.id)).all()
        assert [tuple(r) for r in rows] == [(bob, first, "spam"), (mod, first, "")]
    assert "no such comment" in _error(engine, report, _U(bob), 99999, "")
