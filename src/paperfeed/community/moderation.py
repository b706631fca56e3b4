"""What moderators do: hide and restore daily entries and comments, ban and unban
accounts, work through reports. Every action writes one line of the moderation log
(:class:`~paperfeed.storage.models.ModerationAction`).

Each function works inside the caller's transaction (the caller commits), so an action,
its count updates and its log line are saved together or not at all:

- Hiding or restoring a daily entry locks its paper and recomputes the vote count and
  trending key (a paper on no visible list has none); hiding or restoring a comment
  recomputes the paper's comment count.
- Hiding something resolves the open reports on it ("hidden").
- Banning ends every session of the account; with ``hide_content`` it also hides all the
  account's comments and the daily entries it submitted, in the same transaction.

Who may do what: moderators and admins moderate; nobody bans (or unbans) themselves;
moderators cannot ban or unban admins or other moderators; admins can ban moderators;
admins are never banned here (take the role away first with ``paperfeed user role``).
A refused action raises :class:`ModerationError` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from paperfeed.accounts.users import set_banned
from paperfeed.community.counts import lock_paper, refresh_comments, refresh_votes
from paperfeed.storage.models import (
    Comment,
    DailyEntry,
    ModerationAction,
    Paper,
    Report,
    User,
    utcnow,
)

LABEL_CHARS = 80
RESOLUTIONS = ("hidden", "dismissed")


class ModerationError(Exception):
    """A refused moderation action; the message is one sentence to show the moderator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class BanResult:
    """What a ban did: the log line and, with ``hide_content``, what it hid."""

    action: ModerationAction
    hidden_comments: list[int] = field(default_factory=list)
    hidden_entries: list[int] = field(default_factory=list)


# -- labels and the log ------------------------------------------------------------------


def comment_label(comment: Comment) -> str:
    """The comment's first 80 characters on one line (as typed; escape on output)."""
    text = " ".join(comment.body.split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def entry_label(session: Session, entry: DailyEntry) -> str:
    arxiv_id = session.scalar(select(Paper.arxiv_id).where(Paper.id == entry.paper_id))
    return f"{arxiv_id} on {entry.day.isoformat()}"


# Who the log names for what an operator did with `paperfeed user ...` (moderator None).
OPERATOR = "operator (command line)"


def log_action(
    session: Session, moderator: User | None, action: str, target_type: str,
    target_id: int | None, label: str, note: str, now: datetime,
) -> ModerationAction:
    """One line of the moderation log; `moderator` None: the operator at the command line."""
    row = ModerationAction(
        moderator_id=moderator.id if moderator else None,
        moderator_name=moderator.username if moderator else OPERATOR, action=action,
        target_type=target_type, target_id=target_id, target_label=label,
        note=note.strip()[:2000], created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _require_moderator(moderator: User) -> None:
    if not moderator.is_moderator or moderator.is_banned:
        raise ModerationError("Only moderators and admins can do that.")


def _resolve_open(
    session: Session, moderator: User | None, now: datetime, resolution: str, *,
    comment_ids: Iterable[int] = (), entry_ids: Iterable[int] = (),
) -> int:
    """Mark the open reports on these comments and entries resolved; how many."""
    total = 0
    for column, ids in ((Report.comment_id, list(comment_ids)), (Report.entry_id, list(entry_ids))):
        for start in range(0, len(ids), 500):
            result = session.execute(
                update(Report)
                .where(column.in_(ids[start:start + 500]), Report.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by_id=moderator.id if moderator else None,
                        resolution=resolution)
                .execution_options(synchronize_session=False)
            )
            total += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return total


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


# -- daily entries ----------------------------------------------------------------------


def _set_entry_hidden(
    session: Session, moderator: User, entry: DailyEntry, hidden: bool, note: str,
    now: datetime | None,
) -> ModerationAction | None:
    _require_moderator(moderator)
    when = _now(now)
    lock_paper(session, entry.paper_id)
    session.refresh(entry)  # the state under the lock
    if entry.hidden == hidden:
        return None  # already so (a second click): nothing to do or log
    entry.hidden = hidden
    session.flush()
    refresh_votes(session, entry.paper_id)
    if hidden:
        _resolve_open(session, moderator, when, "hidden", entry_ids=[entry.id])
    return log_action(session, moderator, "hide-entry" if hidden else "restore-entry",
                      "entry", entry.id, entry_label(session, entry), note, when)


def hide_entry(
    session: Session, moderator: User, entry: DailyEntry, note: str = "",
    now: datetime | None = None,
) -> ModerationAction | None:
    """Take a daily entry off its list (the paper's trending key follows); None when it
    was hidden already."""
    return _set_entry_hidden(session, moderator, entry, True, note, now)


def restore_entry(
    session: Session, moderator: User, entry: DailyEntry, note: str = "",
    now: datetime | None = None,
) -> ModerationAction | None:
    """Put a hidden daily entry back on its list; None when it was visible."""
    return _set_entry_hidden(session, moderator, entry, False, note, now)


# -- comments ----------------------------------------------------------------------------


def _set_comment_hidden(
    session: Session, moderator: User, comment: Comment, hidden: bool, note: str,
    now: datetime | None,
) -> ModerationAction | None:
    _require_moderator(moderator)
    when = _now(now)
    lock_paper(session, comment.paper_id)
    session.refresh(comment)
    if comment.hidden == hidden:
        return None
    comment.hidden = hidden
    session.flush()
    refresh_comments(session, comment.paper_id)
    if hidden:
        _resolve_open(session, moderator, when, "hidden", comment_ids=[comment.id])
    return log_action(session, moderator, "hide-comment" if hidden else "restore-comment",
                      "comment", comment.id, comment_label(comment), note, when)


def hide_comment(
    session: Session, moderator: User, comment: Comment, note: str = "",
    now: datetime | None = None,
) -> ModerationAction | None:
    """Hide a comment from readers (its replies keep their place); None when it was
    hidden already."""
    return _set_comment_hidden(session, moderator, comment, True, note, now)


def restore_comment(
    session: Session, moderator: User, comment: Comment, note: str = "",
    now: datetime | None = None,
) -> ModerationAction | None:
    """Show a hidden comment again; None when it was visible."""
    return _set_comment_hidden(session, moderator, comment, False, note, now)


# -- accounts ----------------------------------------------------------------------------


def _check_ban_rights(moderator: User | None, target: User, banning: bool) -> None:
    if moderator is None:  # the operator may ban anyone
        return
    _require_moderator(moderator)
    if target.id == moderator.id:
        raise ModerationError("You cannot ban or unban yourself.")
    if target.is_admin and banning:
        raise ModerationError(
            f"{target.username} is an admin; admins cannot be banned (an operator can "
            "change their role first with `paperfeed user role`)."
        )
    if target.is_moderator and not moderator.is_admin:
        what = "an admin" if target.is_admin else "a moderator"
        raise ModerationError(
            f"{target.username} is {what}; only admins can ban or unban moderators."
        )


def ban_user(
    session: Session, moderator: User | None, target: User, note: str = "",
    now: datetime | None = None, *, hide_content: bool = False,
) -> BanResult:
    """Ban an account: it cannot log in and every session of it ends (`moderator` None:
    the operator at the command line, who may ban anyone). With
    `hide_content`, its comments and the daily entries it submitted are hidden too (their
    papers' counts and trending keys recomputed, their open reports resolved)."""
    _check_ban_rights(moderator, target, True)
    when = _now(now)
    set_banned(session, target, True)
    comment_rows: list[tuple[int, int]] = []
    entry_rows: list[tuple[int, int]] = []
    if hide_content:
        comment_rows = [(cid, pid) for cid, pid in session.execute(
            select(Comment.id, Comment.paper_id)
            .where(Comment.user_id == target.id, Comment.hidden.is_(False))
        )]
        entry_rows = [(eid, pid) for eid, pid in session.execute(
            select(DailyEntry.id, DailyEntry.paper_id)
            .where(DailyEntry.submitted_by_id == target.id, DailyEntry.hidden.is_(False))
        )]
        # Lock every affected paper in id order (two bans never deadlock).
        comment_papers = {pid for _, pid in comment_rows}
        entry_papers = {pid for _, pid in entry_rows}
        for paper_id in sorted(comment_papers | entry_papers):
            lock_paper(session, paper_id)
        comment_ids = [cid for cid, _ in comment_rows]
        entry_ids = [eid for eid, _ in entry_rows]
        for start in range(0, len(comment_ids), 500):
            session.execute(update(Comment).where(Comment.id.in_(comment_ids[start:start + 500]))
                            .values(hidden=True).execution_options(synchronize_session=False))
        for start in range(0, len(entry_ids), 500):
            session.execute(update(DailyEntry)
                            .where(DailyEntry.id.in_(entry_ids[start:start + 500]))
                            .values(hidden=True).execution_options(synchronize_session=False))
        session.expire_all()
        for paper_id in sorted(comment_papers):
            refresh_comments(session, paper_id)
        for paper_id in sorted(entry_papers):
            refresh_votes(session, paper_id)
        _resolve_open(session, moderator, when, "hidden", comment_ids=comment_ids,
                      entry_ids=entry_ids)
    hidden_note = ""
    if hide_content:
        hidden_note = (f"Hid {len(comment_rows)} comment(s) and {len(entry_rows)} "
                       "daily entr" + ("y" if len(entry_rows) == 1 else "ies") + ".")
    full_note = " ".join(part for part in (note.strip(), hidden_note) if part)
    action = log_action(session, moderator, "ban", "user", target.id, target.username,
                        full_note, when)
    return BanResult(action, [cid for cid, _ in comment_rows], [eid for eid, _ in entry_rows])


def unban_user(
    session: Session, moderator: User | None, target: User, note: str = "",
    now: datetime | None = None,
) -> ModerationAction:
    """Let a banned account log in again (what a ban hid stays hidden; restore it one by
    one from /admin)."""
    _check_ban_rights(moderator, target, False)
    set_banned(session, target, False)
    return log_action(session, moderator, "unban", "user", target.id, target.username, note,
                      _now(now))


# -- reports -----------------------------------------------------------------------------

ENTRY_REPORTED = "Thank you. The moderators will look at this listing."
MAX_REASON = 1000


def report_entry(
    session: Session, reporter: User, entry_id: int, reason: str = "",
    now: datetime | None = None,
) -> str:
    """A reader's report of a daily entry (spam, off-topic, a duplicate) for the queue;
    returns the thanks to show. Reporting one entry twice is a no-op with the same
    thanks; a banned reader, an entry that is gone or hidden, or one's own submission
    raise ModerationError."""
    if reporter.is_banned:
        raise ModerationError("This account is banned and cannot report.")
    entry = session.get(DailyEntry, entry_id)
    if entry is None or entry.hidden:
        raise ModerationError("That listing is not on a daily list any more.")
    if entry.submitted_by_id == reporter.id:
        raise ModerationError("This is your own submission.")
    existing = session.scalar(select(Report.id).where(
        Report.reporter_id == reporter.id, Report.entry_id == entry.id))
    if existing is None:
        try:
            with session.begin_nested():  # a report sent twice at once: one row
                session.add(Report(reporter_id=reporter.id, entry_id=entry.id,
                                   reason=reason.strip()[:MAX_REASON], created_at=_now(now)))
        except IntegrityError:
            pass
    return ENTRY_REPORTED



def resolve_report(
    session: Session, moderator: User, report: Report, resolution: str, note: str = "",
    now: datetime | None = None,
) -> ModerationAction | None:
    """Act on a report: "hidden" hides what it points at, "dismissed" leaves it shown.
    Every open report on the same comment or entry is resolved with it. None (nothing
    done) when the report was resolved already."""
    _require_moderator(moderator)
    if resolution not in RESOLUTIONS:
        raise ModerationError(f"Unknown resolution {resolution!r}; use hidden or dismissed.")
    when = _now(now)
    if report.comment is None and report.entry is None:
        raise ModerationError("What this report points at no longer exists.")
    target_paper = report.comment.paper_id if report.comment else report.entry.paper_id  # type: ignore[union-attr]
    lock_paper(session, target_paper)  # two moderators on one report: one acts
    session.refresh(report)
    if report.resolved_at is not None:
        return None
    comment_ids = [report.comment_id] if report.comment_id is not None else []
    entry_ids = [report.entry_id] if report.entry_id is not None else []
    target = (Report.comment_id == report.comment_id if comment_ids
              else Report.entry_id == report.entry_id)
    count = int(session.scalar(
        select(func.count()).select_from(Report).where(target, Report.resolved_at.is_(None))
    ) or 0)
    if resolution == "hidden":
        if report.comment is not None:
            hide_comment(session, moderator, report.comment, note, when)
        elif report.entry is not None:
            hide_entry(session, moderator, report.entry, note, when)
    _resolve_open(session, moderator, when, resolution, comment_ids=comment_ids,
                  entry_ids=entry_ids)
    session.refresh(report)
    if report.comment is not None:
        label = comment_label(report.comment)
    else:
        assert report.entry is not None
        label = entry_label(session, report.entry)
    action = "dismiss-report" if resolution == "dismissed" else "resolve-report"
    extra = f"{count} open report(s) resolved as {resolution}."
    full_note = " ".join(part for part in (note.strip(), extra) if part)
    return log_action(session, moderator, action, "report", report.id, label, full_note, when)


# -- what /admin shows ---------------------------------------------------------------------

QUEUE_REPORTS = 1000


@dataclass(slots=True)
class QueueItem:
    """The open reports on one comment or daily entry (oldest first); moderators act on
    the first one's id, which resolves them all."""

    reports: list[Report]
    paper: Paper | None
    comment: Comment | None = None
    entry: DailyEntry | None = None

    @property
    def first(self) -> Report:
        return self.reports[0]


def report_queue(session: Session, limit: int = 100) -> list[QueueItem]:
    """The open reports grouped by what they point at, the longest-waiting first."""
    reports = list(session.scalars(
        select(Report)
        .options(joinedload(Report.reporter), joinedload(Report.comment).joinedload(Comment.user),
                 joinedload(Report.entry).joinedload(DailyEntry.submitted_by))
        .where(Report.resolved_at.is_(None))
        .order_by(Report.created_at, Report.id)
        .limit(QUEUE_REPORTS)
    ))
    groups: dict[tuple[str, int], QueueItem] = {}
    for report in reports:
        if report.comment is not None:
            key = ("comment", report.comment.id)
        elif report.entry is not None:
            key = ("entry", report.entry.id)
        else:
            continue
        item = groups.get(key)
        if item is None:
            if len(groups) >= limit:
                continue
            groups[key] = QueueItem([report], None, report.comment, report.entry)
        else:
            item.reports.append(report)
    targets: list[tuple[QueueItem, int]] = []
    for item in groups.values():
        target = item.comment if item.comment is not None else item.entry
        assert target is not None
        targets.append((item, target.paper_id))
    paper_ids = {paper_id for _, paper_id in targets}
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))}
    for item, paper_id in targets:
        item.paper = papers.get(paper_id)
    return list(groups.values())


def open_report_count(session: Session) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Report).where(Report.resolved_at.is_(None))
    ) or 0)


def hidden_comments(session: Session, limit: int = 20) -> list[tuple[Comment, Paper]]:
    """The most recently written hidden comments, with their papers."""
    return [(c, p) for c, p in session.execute(
        select(Comment, Paper).join(Paper, Paper.id == Comment.paper_id)
        .options(joinedload(Comment.user))
        .where(Comment.hidden.is_(True))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)
    )]


def hidden_entries(session: Session, limit: int = 20) -> list[tuple[DailyEntry, Paper]]:
    """The latest hidden daily entries, with their papers."""
    return [(e, p) for e, p in session.execute(
        select(DailyEntry, Paper).join(Paper, Paper.id == DailyEntry.paper_id)
        .options(joinedload(DailyEntry.submitted_by))
        .where(DailyEntry.hidden.is_(True))
        .order_by(DailyEntry.day.desc(), DailyEntry.id.desc()).limit(limit)
    )]


def entries_of_paper(session: Session, paper_id: int) -> list[DailyEntry]:
    """Every daily entry of a paper, hidden or not (for the moderators' block)."""
    return list(session.scalars(
        select(DailyEntry).options(joinedload(DailyEntry.submitted_by))
        .where(DailyEntry.paper_id == paper_id).order_by(DailyEntry.day)
    ))


def find_users(session: Session, text: str, limit: int = 50) -> list[User]:
    """Accounts whose username starts with `text` (any case), or the banned ones when
    `text` is empty."""
    query = select(User).order_by(User.username_key).limit(limit)
    text = text.strip().casefold()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(User.username_key.like(escaped + "%", escape="\\"))
    else:
        query = query.where(User.is_banned.is_(True))
    return list(session.scalars(query))


def log_page(session: Session, page: int, per_page: int = 50) -> tuple[list[ModerationAction], int]:
    """One page of the moderation log, newest first, and the number of lines."""
    total = int(session.scalar(select(func.count()).select_from(ModerationAction)) or 0)
    rows = list(session.scalars(
        select(ModerationAction)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    return rows, total
