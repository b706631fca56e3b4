"""The Hugging Face client works against paperfeed unchanged: the real
``huggingface_hub.HfApi(endpoint=SITE)`` lists daily papers (by date, week, month,
submitter, sort and page), reads papers, searches and reads a paper's Markdown, on the
demo site served by uvicorn on loopback, SQLite and PostgreSQL; every field is checked
against the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.hf_api import PaperInfo
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from paperfeed.storage import queries
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import DailyEntry, Paper, User
from paperfeed.web.lists import TRENDING_DAYS
from tests.api.hf_site import hub, loopback_client, serve
from tests.web.conftest import EXTRA_DAY, OLD_ID, SCRIPT_TITLE, site_engine  # noqa: F401

DAY = date(2024, 11, 28)
IMPORTER = "hf-importer"
HUB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(scope="module")
def site(site_engine: Engine, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
         ) -> Iterator[tuple[str, Engine]]:
    """The demo site, with the extra day's entries submitted by a name only (as an import
    records them) and one entry of DAY hidden by a moderator."""
    with write_session(site_engine) as session:
        session.execute(update(DailyEntry).where(DailyEntry.day == EXTRA_DAY)
                        .values(submitted_by_name=IMPORTER))
        hidden = session.scalars(select(DailyEntry).where(DailyEntry.day == DAY)
                                 .order_by(DailyEntry.id)).first()
        assert hidden is not None
        hidden.hidden = True
    with loopback_client(), serve(site_engine, tmp_path_factory.mktemp("hf")) as url:
        yield url, site_engine


@pytest.fixture(scope="module")
def api(site: tuple[str, Engine]) -> HfApi:
    return hub(site[0])


def _utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC, microsecond=value.microsecond // 1000 * 1000)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _visible(session: Session, start: date, end: date) -> dict[str, DailyEntry]:
    """arXiv id -> latest visible entry, for the days in [start, end)."""
    out: dict[str, DailyEntry] = {}
    for entry in session.scalars(select(DailyEntry).where(
            DailyEntry.day >= start, DailyEntry.day < end, DailyEntry.hidden.is_(False))
            .order_by(DailyEntry.day, DailyEntry.submitted_at)):
        out[entry.paper.arxiv_id] = entry
    return out


def check_info(info: PaperInfo, paper: Paper, entry: DailyEntry | None) -> None:
    """Every field the client reads, against the database."""
    assert info.id == paper.arxiv_id
    assert info.title == paper.title
    assert info.summary == paper.abstract
    assert [a.name for a in info.authors or []] == paper.authors
    assert all(a.hidden is False and a.user is None for a in info.authors or [])
    published = paper.published or paper.updated
    assert info.published_at == (_utc(published) if published else None)
    assert (info.upvotes or 0) == paper.vote_count  # in a list, the client reads 0 as None
    assert info.comments == paper.comment_count
    assert info.discussion_id is not None and re.fullmatch(r"[0-9a-f]{24}", info.discussion_id)
    if entry is None:
        assert info.submitted_at is None and info.submitted_by is None
        return
    assert info.submitted_at == _utc(entry.submitted_at)
    submitter = info.submitted_by
    if entry.submitted_by is not None:
        assert submitter is not None
        assert submitter.username == entry.submitted_by.username
        assert submitter.fullname == entry.submitted_by.display_name
        assert submitter.is_pro is False and submitter.user_type == "user"
    elif entry.submitted_by_name:
        assert submitter is not None and submitter.username == entry.submitted_by_name
    else:
        assert submitter is None


def _no_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            assert item is not None
            _no_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _no_nulls(item)


def test_latest_list_is_the_default_with_every_field(site: tuple[str, Engine],
                                                     api: HfApi) -> None:
    url, engine = site
    infos = list(api.list_daily_papers())
    with Session(engine) as session:
        latest = queries.latest_day(session)
        assert latest == EXTRA_DAY
        expected = _visible(session, EXTRA_DAY, EXTRA_DAY + timedelta(days=1))
        assert sorted(i.id for i in infos) == sorted(expected)
        for info in infos:
            entry = expected[info.id]
            check_info(info, entry.paper, entry)
            assert info.submitted_by is not None and info.submitted_by.username == IMPORTER
    raw = httpx.get(f"{url}/api/daily_papers").json()
    assert isinstance(raw, list) and len(raw) == len(infos)
    for item in raw:
        _no_nulls(item)
        assert HUB_TIME.match(item["publishedAt"]) and HUB_TIME.match(
            item["paper"]["submittedOnDailyAt"]) and HUB_TIME.match(item["paper"]["publishedAt"])
        assert item["paper"]["publishedAt"].endswith("T00:00:00.000Z")
        assert item["isAuthorParticipating"] is False and "thumbnail" not in item


def test_a_days_list_newest_listed_first_without_hidden_entries(
    site: tuple[str, Engine], api: HfApi
) -> None:
    infos = list(api.list_daily_papers(date=DAY.isoformat(), limit=100))
    with Session(site[1]) as session:
        expected = _visible(session, DAY, DAY + timedelta(days=1))
        hidden = session.scalars(select(DailyEntry).where(
            DailyEntry.day == DAY, DailyEntry.hidden.is_(True))).one()
        assert hidden.paper.arxiv_id not in {i.id for i in infos}
        assert sorted(i.id for i in infos) == sorted(expected)
        times = [i.submitted_at for i in infos]
        assert times == sorted(times, reverse=True)  # sort=publishedAt, the Hub's default
        for info in infos:
            check_info(info, expected[info.id].paper, expected[info.id])
            assert info.submitted_by is not None
            assert info.submitted_by.username.startswith("demo-")


@pytest.mark.parametrize(("kind", "label", "start", "end"), [
    ("week", "2024-W48", date(2024, 11, 25), date(2024, 12, 2)),
    ("month", "2024-11", date(2024, 11, 1), date(2024, 12, 1)),
])
def test_week_and_month_page_through_every_paper_once(
    site: tuple[str, Engine], api: HfApi, kind: str, label: str, start: date, end: date
) -> None:
    url, engine = site
    seen: list[str] = []
    page = 0
    while True:
        infos = list(api.list_daily_papers(**{kind: label}, limit=7, p=page))  # type: ignore[arg-type]
        link = httpx.get(f"{url}/api/daily_papers",
                         params={kind: label, "limit": 7, "p": page}).headers.get("link")
        if not infos:
            break
        seen += [i.id for i in infos]
        if len(infos) < 7:
            assert link is None
            break
        assert link is not None
        if link is not None:
            assert link == (f'<{url}/api/daily_papers?{kind}={label}&limit=7&p={page + 1}>; '
                            'rel="next"')
        page += 1
    with Session(engine) as session:
        expected = _visible(session, start, end)
    assert len(seen) == len(set(seen))
    assert set(seen) == set(expected)
    if kind == "week":
        assert not any(e.day == date(2024, 11, 22) for e in expected.values())


def test_link_header_leads_to_the_next_page_until_the_last(site: tuple[str, Engine]) -> None:
    url = site[0]
    next_url: str | None = f"{url}/api/daily_papers?month=2024-11&limit=40"
    ids: list[str] = []
    while next_url is not None:
        response = httpx.get(next_url)
        assert response.status_code == 200
        ids += [item["paper"]["id"] for item in response.json()]
        link = response.links.get("next")
        next_url = link["url"] if link else None
    with Session(site[1]) as session:
        assert sorted(ids) == sorted(_visible(session, date(2024, 11, 1), date(2024, 12, 1)))


def test_trending_sort_follows_the_trending_page(site: tuple[str, Engine], api: HfApi) -> None:
    with Session(site[1]) as session:
        cutoff = EXTRA_DAY - timedelta(days=TRENDING_DAYS)
        trending = [p.arxiv_id for p in queries.trending_list(session, cutoff, limit=100)]
        day = [i.id for i in api.list_daily_papers(date=DAY.isoformat(), sort="trending",
                                                   limit=100)]
        keys = {p.arxiv_id: p.trending_key for p in session.scalars(
            select(Paper).where(Paper.arxiv_id.in_(day)))}
    assert [i.id for i in api.list_daily_papers(sort="trending", limit=100)] == trending
    scores = [keys[i] for i in day]
    assert None not in scores and scores == sorted(scores, reverse=True)


def test_submitter_by_account_and_by_imported_name(site: tuple[str, Engine], api: HfApi) -> None:
    with Session(site[1]) as session:
        user = session.scalars(select(User).where(User.username == "demo-ada")).one()
        theirs = {e.paper.arxiv_id: e for e in session.scalars(select(DailyEntry).where(
            DailyEntry.submitted_by_id == user.id, DailyEntry.hidden.is_(False)))}
        assert theirs
        infos = list(api.list_daily_papers(submitter="demo-ada", limit=100))
        assert sorted(i.id for i in infos) == sorted(theirs)
        for info in infos:
            check_info(info, theirs[info.id].paper, theirs[info.id])
        one_day = next(iter(theirs.values())).day
        on_day = list(api.list_daily_papers(submitter="Demo-Ada", date=one_day.isoformat()))
        assert {i.id for i in on_day} == {k for k, e in theirs.items() if e.day == one_day}
    imported = list(api.list_daily_papers(submitter=IMPORTER))
    assert len(imported) == 3 and OLD_ID in {i.id for i in imported}
    assert list(api.list_daily_papers(submitter="nobody-at-all")) == []


def test_paper_info_for_new_old_and_versioned_ids(site: tuple[str, Engine], api: HfApi) -> None:
    with Session(site[1]) as session:
        for asked, canonical in ((OLD_ID, OLD_ID), ("2411.99001", "2411.99001"),
                                 (f"{OLD_ID}v3", OLD_ID)):
            paper = queries.get_paper(session, canonical)
            assert paper is not None
            entries = queries.entries_for_paper(session, paper.id)
            check_info(api.paper_info(asked), paper, entries[-1] if entries else None)
        leader = session.scalars(select(Paper).order_by(Paper.comment_count.desc(),
                                                        Paper.arxiv_id)).first()
        assert leader is not None and leader.comment_count > 0
        info = api.paper_info(leader.arxiv_id)
        assert info.comments == leader.comment_count and info.upvotes == leader.vote_count


def test_search_returns_entries_of_the_hybrid_search(site: tuple[str, Engine], api: HfApi) -> None:
    with Session(site[1]) as session:
        paper = queries.get_paper(session, OLD_ID)
        assert paper is not None
        found = list(api.list_papers(query="Old-style identifiers"))
        assert found and found[0].id == OLD_ID
        entries = queries.entries_for_paper(session, paper.id)
        check_info(found[0], paper, entries[-1])
        demo = session.scalars(select(Paper).where(Paper.arxiv_id.like("2%"))
                               .order_by(Paper.arxiv_id)).first()
        assert demo is not None
        word = max(demo.title.split(), key=len)
        assert demo.arxiv_id in {i.id for i in api.list_papers(query=word, limit=100)}
    assert len(list(api.list_papers(query="learning", limit=3))) == 3


def test_read_paper_as_markdown(site: tuple[str, Engine], api: HfApi) -> None:
    url = site[0]
    text = api.read_paper(OLD_ID)
    assert text.startswith("# Old\\-style identifiers still work\n")
    assert "## Abstract\n\nAn old paper." in text
    assert f"(<https://arxiv.org/abs/{OLD_ID}>)" in text
    assert f"<{url}/papers/{OLD_ID}>" in text
    assert "- **Published:** 1999-01-04" in text and "hep\\-th, gr\\-qc" in text
    hostile = api.read_paper("2411.99001")
    assert hostile.splitlines()[0] == "# \\<script\\>alert\\(1\\)\\</script\\> \\& Co"
    assert SCRIPT_TITLE not in hostile
    response = httpx.get(f"{url}/papers/{OLD_ID}.md")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
