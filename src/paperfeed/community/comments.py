"""Comments: post, reply, edit, delete and report.

Every function runs inside the caller's write transaction and raises
:class:`CommentError` (a message for people) when the action is refused; nothing is
written then. The paper's ``comment_count`` is recomputed in the same transaction
(:func:`paperfeed.community.counts.refresh_comments`), after the paper row is locked.

- A comment's body is stored exactly as typed (Markdown, rendered and sanitised on
  output by :mod:`paperfeed.render.markdown`); blank or over-long bodies are refused.
- A reply must be to a comment on the same paper that is not deleted or hidden.
- Authors may edit their comment for ``edit_minutes`` after posting (``edited_at`` is set
  and the page says "edited"). Authors and moderators may delete: the body is blanked,
  ``deleted`` set, and the row stays so the replies keep their place.
- A report is one row per reporter and comment; reporting again changes nothing and
  answers the same thanks.
- Banned accounts can do none of this.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from paperfeed.community.counts import lock_paper, refresh_comments
from paperfeed.storage.models import Comment, Paper, Report, User

DEFAULT_MAX_CHARS = 20_000
DEFAULT_EDIT_MINUTES = 15
MAX_REASON = 1000
REPORTED = "Thank you. The moderators will look at this comment."


class CommentError(ValueError):
    """A refused comment action, with a message for the person who tried it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _check_user(user: User | None) -> User:
    if user is None:
        raise CommentError("Log in to comment.", 401)
    if user.is_banned:
        raise CommentError("This account is banned and cannot comment.", 403)
    return user


def check_body(body: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The body to store (as typed, without surrounding blank lines), or CommentError."""
    body = body.replace("\r\n", "\n").strip("\n\r ")
    if not body.strip():
        raise CommentError("The comment is empty; write something first.")
    if len(body) > max_chars:
        raise CommentError(
            f"The comment is {len(body):,} characters long; the limit is {max_chars:,}. "
            "Shorten it and send it again."
        )
    return body


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentError("There is no such comment.", 404)
    return comment


def post_comment(
    session: Session, user: User | None, paper_id: int, body: str, parent_id: int | None,
    now: datetime, *, max_chars: int = DEFAULT_MAX_CHARS,
) -> Comment:
    """A new comment on the paper (a reply when `parent_id` is given)."""
    author = _check_user(user)
    text = check_body(body, max_chars)
    if session.get(Paper, paper_id) is None:
        raise CommentError("There is no such paper.", 404)
    lock_paper(session, paper_id)
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.paper_id != paper_id:
            raise CommentError("The comment you replied to is not on this paper.")
        if parent.deleted or parent.hidden:
            raise CommentError("The comment you replied to was deleted or hidden; "
                               "post yours as a new comment instead.")
    comment = Comment(paper_id=paper_id, user_id=author.id, parent_id=parent_id, body=text,
                      created_at=now)
    session.add(comment)
    session.flush()
    refresh_comments(session, paper_id)
    return comment


def editable_until(comment: Comment, edit_minutes: int = DEFAULT_EDIT_MINUTES) -> datetime:
    return comment.created_at + timedelta(minutes=edit_minutes)


def can_edit(comment: Comment, user: User | None, now: datetime,
             edit_minutes: int = DEFAULT_EDIT_MINUTES) -> bool:
    """Whether `user` may still edit `comment` at `now`."""
    return (
        user is not None and not user.is_banned and comment.user_id == user.id
        and not comment.deleted and not comment.hidden
        and now <= editable_until(comment, edit_minutes)
    )


def can_delete(comment: Comment, user: User | None) -> bool:
    return (
        user is not None and not comment.deleted and not user.is_banned
        and (comment.user_id == user.id or user.is_moderator)
    )


def check_edit(comment: Comment, user: User | None, now: datetime,
               edit_minutes: int = DEFAULT_EDIT_MINUTES) -> None:
    """CommentError unless `user` may edit `comment` now."""
    author = _check_user(user)
    if comment.user_id != author.id:
        raise CommentError("Only its author can edit a comment.", 403)
    if comment.deleted or comment.hidden:
        raise CommentError("This comment was deleted or hidden and cannot be edited.", 403)
    if now > editable_until(comment, edit_minutes):
        raise CommentError(
            f"Comments can be edited for {edit_minutes} minutes after posting; "
            "this one can no longer be changed.", 403)


def edit_comment(
    session: Session, user: User | None, comment_id: int, body: str, now: datetime, *,
    edit_minutes: int = DEFAULT_EDIT_MINUTES, max_chars: int = DEFAULT_MAX_CHARS,
) -> Comment:
    """Replace the body of the author's own comment within the edit window."""
    comment = get_comment(session, comment_id)
    check_edit(comment, user, now, edit_minutes)
    text = check_body(body, max_chars)
    if text != comment.body:
        comment.body = text
        comment.edited_at = now
    return comment


def delete_comment(session: Session, user: User | None, comment_id: int) -> Comment:
    """Delete a comment (its author, or a moderator): the body goes, the row stays."""
    actor = _check_user(user)
    comment = get_comment(session, comment_id)
    if comment.user_id != actor.id and not actor.is_moderator:
        raise CommentError("Only its author or a moderator can delete a comment.", 403)
    if comment.deleted:
        return comment
    lock_paper(session, comment.paper_id)
    comment.deleted = True
    comment.body = ""
    session.flush()
    refresh_comments(session, comment.paper_id)
    return comment


def report(
    session: Session, reporter: User | None, comment_id: int, reason: str = "",
    now: datetime | None = None,
) -> str:
    """Record a report for the moderators' queue; returns the thanks to show. A second
    report of the same comment by the same reader is a no-op with the same thanks."""
    user = _check_user(reporter)
    comment = get_comment(session, comment_id)
    if comment.deleted:
        raise CommentError("This comment was already deleted.")
    existing = session.scalar(select(Report.id).where(
        Report.reporter_id == user.id, Report.comment_id == comment.id))
    if existing is not None:
        return REPORTED
    try:
        with session.begin_nested():  # a report sent twice at once: one row, one thanks
            session.add(Report(reporter_id=user.id, comment_id=comment.id,
                               reason=reason.strip()[:MAX_REASON],
                               **({"created_at": now} if now is not None else {})))
    except IntegrityError:
        pass
    return REPORTED


def paper_comments(session: Session, paper_id: int) -> list[Comment]:
    """Every comment of a paper (hidden and deleted too: the thread decides what shows),
    with their authors, oldest first."""
    return list(session.scalars(
        select(Comment).options(joinedload(Comment.user))
        .where(Comment.paper_id == paper_id)
        .order_by(Comment.created_at, Comment.id)
    ))
