"""Submitting a paper to today's list: whatever arXiv id or link a reader pastes.

:func:`submit_paper` reads the pasted text as an arXiv id (every form
:func:`paperfeed.ids.parse_arxiv_id` knows: ``2411.17700``, ``arXiv:2411.17700v2``,
``https://arxiv.org/abs/…``, ``…/pdf/….pdf``, ``export.arxiv.org``, old-style
``hep-th/9901001``). A link to any other host is refused with a message; nothing is
ever fetched from a pasted address. Only the id goes on, and only to the arXiv API
(``fetch``, built from the ``arxiv_api_url`` setting by the caller).

- A stored paper goes straight onto today's list.
- An unknown one is fetched from arXiv and stored through the ordinary import path
  (:func:`paperfeed.ingest.upsert.upsert_records`), then listed.
- Refused, each with a message for the reader and nothing written: a malformed id, an
  id arXiv does not know, a withdrawn paper, arXiv unreachable or answering garbage, a
  paper already on today's list (with its path), a banned account, and an account that
  reached its daily cap (its entries on ``today``'s list).

Transactions: the checks run in a read transaction, which ends before arXiv is asked
(so no lock is held across the network). The entry is written in one write
transaction (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL the paper row and then the
account row are locked, the order votes and account deletion use) that checks
everything again, adds the entry, and recomputes the paper's trending key. Two
simultaneous submissions of one paper leave one entry: the loser sees it, or the
unique constraint on (day, paper) refuses its insert, and it answers "already listed".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.community.counts import lock_paper, refresh_votes
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.ingest.upsert import upsert_records
from paperfeed.records import PaperRecord
from paperfeed.sources import arxiv_atom
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from paperfeed.sources.gate import RequestGate
from paperfeed.sources.http import PoliteClient
from paperfeed.sources.outbound import Limits, hosts_of
from paperfeed.storage.models import DailyEntry, Paper, User
from paperfeed.storage.retry import retrying

# What the reader pastes is cut to this before it is read (ids are short; links a bit
# longer); anything longer is refused as not an id.
MAX_PASTED = 500

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})

#: Fetch one paper from the arXiv API by canonical id: the parsed feed. Raises
#: :class:`~paperfeed.sources.errors.SourceError` when arXiv cannot answer.
ArxivFetch = Callable[[str], Parsed]


class SubmitKind(StrEnum):
    ADDED = "added"
    ALREADY_LISTED = "already_listed"
    WITHDRAWN = "withdrawn"
    NOT_FOUND = "not_found"
    BAD_INPUT = "bad_input"
    NOT_ARXIV = "not_arxiv"
    LIMIT_REACHED = "limit_reached"
    FETCH_FAILED = "fetch_failed"
    BANNED = "banned"


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """What happened to a submission: its kind, a message for the reader, and the
    paper (canonical id and page path) when there is one to link to."""

    kind: SubmitKind
    message: str
    arxiv_id: str | None = None
    path: str | None = None
    fetched: bool = False  # the paper was new here and came from arXiv just now

    @property
    def ok(self) -> bool:
        return self.kind is SubmitKind.ADDED


def paper_path(arxiv_id: str) -> str:
    return "/papers/" + quote(arxiv_id, safe="/")


def _outcome(kind: SubmitKind, message: str, arxiv_id: str | None = None,
             *, fetched: bool = False) -> SubmitOutcome:
    path = paper_path(arxiv_id) if arxiv_id else None
    return SubmitOutcome(kind, message, arxiv_id, path, fetched)


# -- reading what was pasted --------------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# "example.com/…" or "www.example.com" without a scheme: a host-like first segment
# whose last label is letters (old-style ids such as "math.GT/0309136" look the same,
# so text without a scheme is read as an id first).
_BARE_HOST = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_ID_INSIDE = re.compile(r"(?<![0-9.])([0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?(?![0-9])")

EXAMPLES = "such as 2411.17700, arXiv:2411.17700 or https://arxiv.org/abs/2411.17700"


def _host_of(text: str) -> str | None:
    """The host of a pasted link, lower-cased; None when the text is not a link."""
    if _SCHEME.match(text):
        url = text
    elif _BARE_HOST.match(text):
        url = "//" + text
    else:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return "?"
    return (host or "?").lower()


def read_pasted(pasted_text: str) -> tuple[str | None, SubmitOutcome | None]:
    """The canonical arXiv id in `pasted_text`, or the refusal that explains why there
    is none. Pure: nothing is fetched, whatever the text."""
    text = (pasted_text or "").strip()
    if not text:
        return None, _outcome(SubmitKind.BAD_INPUT,
                              f"Paste the arXiv id or link of a paper, {EXAMPLES}.")
    if len(text) > MAX_PASTED or any(ch in text for ch in "\r\n"):
        return None, _outcome(SubmitKind.BAD_INPUT,
                              f"Paste one arXiv id or link, {EXAMPLES}.")
    if not _SCHEME.match(text):
        # Old-style ids such as math.GT/0309136 look like "host/path": read ids first.
        try:
            return parse_arxiv_id(text).id, None
        except InvalidArxivId:
            pass
    host = _host_of(text)
    if host is not None and host not in ARXIV_HOSTS:
        shown = host if host != "?" else "That address"
        hint = ""
        inside = _ID_INSIDE.search(text)
        if inside:
            hint = f" If the paper is arXiv:{inside.group(1)}, paste that id instead."
        return None, _outcome(
            SubmitKind.NOT_ARXIV,
            f"Only arXiv papers can be submitted, and {shown} is not arXiv: paste the "
            f"arXiv id or the arxiv.org link of the paper.{hint} Nothing was fetched "
            "from that address.",
        )
    try:
        return parse_arxiv_id(text).id, None
    except InvalidArxivId:
        pass
    if host is not None:
        return None, _outcome(
            SubmitKind.BAD_INPUT,
            "That arXiv link does not point to a paper. Paste the link of the paper's "
            "abstract or PDF, such as https://arxiv.org/abs/2411.17700.",
        )
    shown = text if len(text) <= 60 else text[:57] + "…"
    return None, _outcome(
        SubmitKind.BAD_INPUT,
        f"“{shown}” is not an arXiv id. Ids look like 2411.17700 (or hep-th/9901001 for "
        "older papers); arxiv.org links work too.",
    )


# -- fetching from arXiv ------------------------------------------------------------------


def arxiv_fetcher(
    base_url: str, user_agent: str, *, interval: float = 3.0, timeout: float = 10.0,
    retries: int = 1, max_wait: float = 10.0, gate: RequestGate | None = None,
    limits: Limits | None = None, hosts: Iterable[str] | None = None,
) -> ArxivFetch:
    """A fetch for :func:`submit_paper`: one ``id_list`` query to the arXiv API at
    `base_url` through the polite client: `interval` seconds between requests counted
    with everything else that shares `gate` (the harvesters' lock file, when the caller
    passes it; this process otherwise), `timeout` seconds per request (or the given
    `limits`), at most `retries` retries, and no ``Retry-After`` longer than `max_wait`
    honoured, since a reader is waiting. Requests and redirects go only to `hosts`
    (default: `base_url`'s host); the pasted text is never an address."""
    allowed = frozenset(hosts) if hosts is not None else hosts_of([base_url])

    def fetch(arxiv_id: str) -> Parsed:
        with PoliteClient(user_agent, interval, retries=retries, backoff=min(interval, 2.0),
                          max_backoff=max_wait, max_wait=max_wait,
                          timeout=None if limits else timeout, limits=limits,
                          hosts=allowed, gate=gate) as client:
            return client.fetch(
                base_url, arxiv_atom.parse,
                {"id_list": arxiv_id, "start": 0, "max_results": 1},
                label=f"arXiv API for {arxiv_id}",
            )

    return fetch


def _fetch_record(fetch: ArxivFetch, arxiv_id: str) -> PaperRecord | SubmitOutcome:
    try:
        parsed = fetch(arxiv_id)
    except SourceError as exc:
        if exc.code in ("api-error", "400", "404"):
            return _not_found(arxiv_id)
        return _outcome(
            SubmitKind.FETCH_FAILED,
            f"arXiv could not be asked about {arxiv_id} just now ({_short(str(exc))}). "
            "Nothing was saved; please try again in a few minutes.",
        )
    for record in parsed.records:
        if record.id == arxiv_id:
            return record
    if parsed.rejected:
        return _outcome(
            SubmitKind.FETCH_FAILED,
            f"arXiv's answer about {arxiv_id} could not be read. Nothing was saved; please "
            "try again later.",
        )
    return _not_found(arxiv_id)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_found(arxiv_id: str) -> SubmitOutcome:
    return _outcome(
        SubmitKind.NOT_FOUND,
        f"arXiv has no paper {arxiv_id}. Check the id (the abstract page's address "
        "shows it) and try again.",
    )


def _withdrawn(arxiv_id: str) -> SubmitOutcome:
    return _outcome(
        SubmitKind.WITHDRAWN,
        f"arXiv:{arxiv_id} has been withdrawn by its authors, so it cannot go on the list.",
        arxiv_id,
    )


# -- the submission -----------------------------------------------------------------------


def _refusal(
    session: Session, user_id: int, arxiv_id: str, today: date, daily_cap: int,
) -> tuple[SubmitOutcome | None, Paper | None]:
    """The reason this account cannot list this paper today, if any, and the stored
    paper (None when it is not stored yet)."""
    user = session.get(User, user_id, populate_existing=True)
    if user is None or user.is_banned:
        return _outcome(SubmitKind.BANNED,
                        "This account cannot submit papers (it is suspended or gone)."), None
    if daily_cap > 0:
        count = int(session.scalar(
            select(func.count()).select_from(DailyEntry).where(
                DailyEntry.submitted_by_id == user_id, DailyEntry.day == today
            )
        ) or 0)
        if count >= daily_cap:
            noun = "paper" if daily_cap == 1 else "papers"
            return _outcome(
                SubmitKind.LIMIT_REACHED,
                f"You have submitted {count} {noun} today, the most one account may "
                f"submit in a day ({daily_cap}). Please come back tomorrow.",
            ), None
    paper = session.scalar(select(Paper).where(Paper.arxiv_id == arxiv_id))
    if paper is None:
        return None, None
    if paper.withdrawn:
        return _withdrawn(arxiv_id), paper
    entry = session.scalar(
        select(DailyEntry).where(DailyEntry.day == today, DailyEntry.paper_id == paper.id)
    )
    if entry is not None:
        return _already(arxiv_id, entry.hidden), paper
    return None, paper


def _already(arxiv_id: str, hidden: bool = False) -> SubmitOutcome:
    if hidden:
        return _outcome(
            SubmitKind.ALREADY_LISTED,
            f"arXiv:{arxiv_id} was taken off today's list by a moderator and cannot be "
            "submitted again today.",
            arxiv_id,
        )
    return _outcome(SubmitKind.ALREADY_LISTED,
                    f"arXiv:{arxiv_id} is already on today's list.", arxiv_id)


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def submit_paper(
    session: Session,
    user: User,
    pasted_text: str,
    today: date,
    now: datetime,
    fetch: ArxivFetch,
    *,
    daily_cap: int = 10,
) -> SubmitOutcome:
    """Put the paper `pasted_text` names on `today`'s list for `user` (see the module
    notes). `session` is a plain session on the engine, not inside a write transaction;
    this function ends its transactions itself (it commits the entry). `now` is stored
    as the entry's ``submitted_at``; `daily_cap` 0 means no cap."""
    arxiv_id, refused = read_pasted(pasted_text)
    if refused is not None:
        return refused
    assert arxiv_id is not None
    user_id = user.id
    try:
        refused, paper = _refusal(session, user_id, arxiv_id, today, daily_cap)
    finally:
        session.rollback()  # no transaction stays open while arXiv is asked
    if refused is not None:
        return refused
    fetched = False
    if paper is None:
        record = _fetch_record(fetch, arxiv_id)
        if isinstance(record, SubmitOutcome):
            return record
        if record.withdrawn:
            return _withdrawn(arxiv_id)
        upsert_records(_engine_of(session), [record])
        fetched = True
    # The whole write transaction again after a deadlock or serialization failure.
    return retrying(lambda: _write_entry(session, user_id, arxiv_id, today, now, daily_cap,
                                         fetched))


def _write_entry(
    session: Session, user_id: int, arxiv_id: str, today: date, now: datetime,
    daily_cap: int, fetched: bool,
) -> SubmitOutcome:
    """The write transaction: check again, add the entry, update the trending key."""
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id))
        if paper_id is None:  # stored a moment ago and gone again: very unlikely
            session.rollback()
            return _not_found(arxiv_id)
        lock_paper(session, paper_id)
        session.execute(select(User.id).where(User.id == user_id)
                        .with_for_update(key_share=True))
        refused, _paper = _refusal(session, user_id, arxiv_id, today, daily_cap)
        if refused is not None:
            session.rollback()
            return refused
        user = session.get(User, user_id)
        assert user is not None
        session.add(DailyEntry(
            day=today, paper_id=paper_id, submitted_by_id=user_id,
            submitted_by_name=user.username, submitted_at=now, source="community",
        ))
        try:
            session.flush()
        except IntegrityError:  # listed by someone else in between (PostgreSQL)
            session.rollback()
            return _already(arxiv_id)
        refresh_votes(session, paper_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    also = " (fetched from arXiv just now)" if fetched else ""
    return _outcome(
        SubmitKind.ADDED,
        f"Thank you: arXiv:{arxiv_id}{also} is on today's list, submitted by you.",
        arxiv_id, fetched=fetched,
    )
