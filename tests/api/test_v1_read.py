"""The read side of /api/v1 on the demo site (SQLite and PostgreSQL): papers, discussions,
the day, week, month and trending lists, search and profiles match the database and the
pages; pages walk every paper once; bad parameters are 422s and unknown things 404s, all
in the one error shape, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperfeed.storage import queries
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Comment, Paper, User, Vote
from paperfeed.web.app import create_app
from tests.web.conftest import (  # noqa: F401
    EXTRA_DAY,
    OLD_ID,
    SCRIPT_TITLE,
    make_settings,
    page,
    site_engine,
)

DAY = date(2024, 11, 28)
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
QUIET = "quiet-reader"


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, 29, hour, minute)  # noqa: DTZ001 (stored naive UTC)


@pytest.fixture(scope="module")
def comments(site_engine: Engine) -> dict[str, int]:  # noqa: F811
    """A thread on OLD_ID: a comment with Markdown and HTML, a deleted reply that has a
    reply of its own, a hidden comment nobody answered, and an edited one; the author
    keeps their upvotes private and has one."""
    with write_session(site_engine) as session:
        paper = session.scalar(select(Paper).where(Paper.arxiv_id == OLD_ID))
        assert paper is not None
        quiet = User(username=QUIET, username_key=QUIET, display_name="Q <b>R</b>",
                     show_upvotes=False, created_at=_at(8))
        session.add(quiet)
        session.flush()
        first = Comment(paper_id=paper.id, user_id=quiet.id,
                        body="**Bold** claim <script>alert(1)</script>", created_at=_at(9))
        session.add(first)
        session.flush()
        gone = Comment(paper_id=paper.id, user_id=quiet.id, parent_id=first.id,
                       body="I take it back", deleted=True, created_at=_at(10))
        session.add(gone)
        session.flush()
        answer = Comment(paper_id=paper.id, user_id=quiet.id, parent_id=gone.id,
                         body="Why?", created_at=_at(11))
        hidden = Comment(paper_id=paper.id, user_id=quiet.id, body="spam", hidden=True,
                         created_at=_at(12))
        edited = Comment(paper_id=paper.id, user_id=quiet.id, body="Second thoughts",
                         created_at=_at(13), edited_at=_at(13, 5))
        session.add_all([answer, hidden, edited])
        session.add(Vote(user_id=quiet.id, paper_id=paper.id, created_at=_at(9)))
        paper.comment_count = 3
        session.flush()
        return {"first": first.id, "gone": gone.id, "answer": answer.id,
                "hidden": hidden.id, "edited": edited.id}


@pytest.fixture
def client(site_engine: Engine, tmp_path: Path,  # noqa: F811
           comments: dict[str, int]) -> Iterator[TestClient]:
    app = create_app(make_settings(site_engine, tmp_path, demo=True), site_engine)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _error(client: TestClient, url: str, status: int) -> str:
    body = _json(client, url, status)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def _ids(listing: dict[str, Any]) -> list[str]:
    return [item["paper"]["id"] for item in listing["items"]]


def _page_ids(client: TestClient, path: str, within: str = "") -> list[str]:
    return [el.get("id").split("paper-", 1)[1] for el in page(client.get(path)).xpath(
        within + '//ol[@class="papers"]//article[@class="card"]')]


def _walk(client: TestClient, url: str) -> tuple[list[str], list[int], int]:
    """Every page from `url` on by its ``next`` links: the ids, the ranks, the total."""
    ids: list[str] = []
    ranks: list[int] = []
    total = -1
    next_url: str | None = url
    while next_url:
        body = _json(client, next_url)
        total = body["total"]
        ids += _ids(body)
        ranks += [item["rank"] for item in body["items"]]
        next_url = body["next"]
        assert len(ids) <= total
    return ids, ranks, total


# -- papers -----------------------------------------------------------------------------


def test_paper_by_any_form_of_its_id(client: TestClient, site_engine: Engine  # noqa: F811
                                     ) -> None:
    paper = _json(client, f"/api/v1/papers/{OLD_ID}")
    assert _json(client, f"/api/v1/papers/{OLD_ID}v3") == paper
    assert _json(client, f"/api/v1/papers/arXiv:{OLD_ID}") == paper
    with Session(site_engine) as session:
        stored = queries.get_paper(session, OLD_ID)
        assert stored is not None
        assert paper["title"] == stored.title and paper["authors"] == stored.authors
        assert paper["doi"] == "10.1000/xyz123" and paper["comments"] == "12 pages, 2 figures"
        assert paper["published"] == "1999-01-04" and paper["updated"] == "1999-03-01"
        assert paper["upvotes"] == stored.vote_count
    assert paper["comment_count"] == 3
    assert paper["url"] == f"/papers/{OLD_ID}"
    assert paper["listed"] == [{"day": EXTRA_DAY.isoformat(), "submitter": {
        "username": None, "name": None, "source": "manual"}}]
    hostile = _json(client, "/api/v1/papers/2411.99001")
    assert hostile["title"] == SCRIPT_TITLE  # the text itself: JSON needs no escaping


def test_demo_paper_names_its_submitter(client: TestClient) -> None:
    day = _json(client, f"/api/v1/days/{DAY}?per_page=1")
    item = day["items"][0]
    paper = _json(client, f"/api/v1/papers/{item['paper']['id']}")
    assert paper["listed"] == [{"day": DAY.isoformat(), "submitter": item["submitter"]}]
    assert item["submitter"]["username"].startswith("demo-")


def test_discussion_in_reading_order_as_the_page_shows_it(
        client: TestClient, comments: dict[str, int]) -> None:
    thread = _json(client, f"/api/v1/papers/{OLD_ID}/comments")
    assert thread["paper"] == OLD_ID and thread["total"] == 3
    shown = [c["id"] for c in thread["comments"]]
    assert shown == [comments[k] for k in ("first", "gone", "answer", "edited")]
    on_page = [int(el.get("id").split("-")[1]) for el in page(
        client.get(f"/papers/{OLD_ID}")).xpath('//article[contains(@class, "comment ")]')]
    assert shown == on_page
    first, gone, answer, edited = thread["comments"]
    assert first["author"] == QUIET and first["parent_id"] is None and first["depth"] == 0
    assert first["body"] == "**Bold** claim <script>alert(1)</script>"
    assert "<strong>Bold</strong>" in first["body_html"]
    assert "<script>" not in first["body_html"]
    assert first["created_at"] == "2024-11-29T09:00:00Z" and first["edited_at"] is None
    assert gone["placeholder"] == "[deleted]" and gone["parent_id"] == comments["first"]
    assert gone["body"] is None and gone["body_html"] is None and gone["author"] is None
    assert answer["parent_id"] == comments["gone"] and answer["depth"] == 2
    assert edited["edited_at"] == "2024-11-29T13:05:00Z"
    for comment in thread["comments"]:
        assert ISO_Z.match(comment["created_at"])


def test_comments_of_a_paper_without_any(client: TestClient) -> None:
    assert _json(client, "/api/v1/papers/2411.99002/comments") == {
        "paper": "2411.99002", "total": 0, "comments": []}


def test_unknown_and_malformed_things_are_404s(client: TestClient) -> None:
    for url in ("/api/v1/papers/2411.00000", "/api/v1/papers/not-an-id",
                "/api/v1/papers/%FF%FE", "/api/v1/papers/2411.00000/comments",
                "/api/v1/days/2024-11-23", "/api/v1/days/2024-02-30", "/api/v1/days/yesterday",
                "/api/v1/weeks/2024-W60", "/api/v1/weeks/2024-11", "/api/v1/months/2024-13",
                "/api/v1/users/nobody-here", "/api/v1/users/%00", "/api/v1/users/%FF",
                "/api/v1/nothing"):
        assert _error(client, url, 404) == "not_found", url


# -- lists ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["votes", "time"])
def test_day_list_is_the_page_in_order(client: TestClient, site_engine: Engine,  # noqa: F811
                                       sort: str) -> None:
    day = _json(client, f"/api/v1/days/{DAY}?per_page=50&sort={sort}")
    assert _ids(day) == _page_ids(client, f"/date/{DAY}?sort={sort}")
    with Session(site_engine) as session:
        assert day["total"] == queries.daily_count(session, DAY)
        stored = {p.arxiv_id: p.vote_count for p in session.scalars(select(Paper))}
    assert [item["rank"] for item in day["items"]] == list(range(1, len(day["items"]) + 1))
    assert all(item["paper"]["upvotes"] == stored[item["paper"]["id"]] for item in day["items"])
    assert all(item["listed_day"] == DAY.isoformat() for item in day["items"])
    assert day["day"] == DAY.isoformat() and day["sort"] == sort
    assert day["next_day"] == EXTRA_DAY.isoformat() and day["prev_day"] is not None
    assert day["html_url"] == f"/date/{DAY}"


def test_latest_day(client: TestClient) -> None:
    latest = _json(client, "/api/v1/days/latest")
    assert latest["day"] == EXTRA_DAY.isoformat()
    assert _ids(latest) == _ids(_json(client, f"/api/v1/days/{EXTRA_DAY}")) == _page_ids(
        client, "/")
    assert latest["items"][0]["paper"]["title"] == SCRIPT_TITLE


@pytest.mark.parametrize("path", [f"/api/v1/days/{DAY}", "/api/v1/weeks/2024-W48",
                                  "/api/v1/months/2024-11", "/api/v1/trending"])
def test_pages_walk_every_paper_once_in_a_stable_order(client: TestClient, path: str) -> None:
    everything = []
    for n in (1, 2, 3):
        everything += _ids(_json(client, f"{path}?per_page=100&page={n}"))
    ids, ranks, total = _walk(client, f"{path}?per_page=7")
    assert len(ids) == total == len(everything) > 7
    assert ids == everything and len(set(ids)) == total
    assert ranks == list(range(1, total + 1))
    assert _walk(client, f"{path}?per_page=7") == (ids, ranks, total)


def test_week_and_month_are_their_pages(client: TestClient) -> None:
    week = _json(client, "/api/v1/weeks/2024-W48?per_page=50")
    assert _ids(week) == _page_ids(client, "/week/2024-W48")
    assert week["period"] == "2024-W48" and week["kind"] == "week"
    assert (week["first_day"], week["last_day"]) == ("2024-11-25", "2024-12-01")
    assert week["next_period"] is None and week["prev_period"] is not None
    month = _json(client, "/api/v1/months/2024-11?per_page=50&sort=time")
    assert _ids(month) == _page_ids(client, "/month/2024-11?sort=time")
    assert month["title"] == "November 2024" and month["last_day"] == "2024-11-30"
    empty = _json(client, "/api/v1/months/2023-01")
    assert empty["items"] == [] and empty["total"] == 0 and empty["next_period"] == "2024-11"
    for item in week["items"]:
        assert item["listed_day"] is not None and item["listed_day"] >= "2024-11-25"


def test_trending_is_its_page(client: TestClient) -> None:
    trending = _json(client, "/api/v1/trending?per_page=50")
    assert _ids(trending) == _page_ids(client, "/trending")
    assert trending["days"] == 30
    assert all(item["listed_day"] for item in trending["items"])


def test_past_the_last_page_is_an_empty_page(client: TestClient) -> None:
    body = _json(client, f"/api/v1/days/{DAY}?page=10000&per_page=100")
    assert body["items"] == [] and body["next"] is None
    assert body["prev"] == f"/api/v1/days/{DAY}?per_page=100&page={body['pages']}"


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=10001", "page=99999999999999999999999", "page=abc", "page=1.5",
    "per_page=0", "per_page=-5", "per_page=101", "per_page=", "sort=best", "sort=%FF",
    "colour=blue",
])
def test_bad_parameters_are_422s(client: TestClient, query: str) -> None:
    for path in (f"/api/v1/days/{DAY}", "/api/v1/days/latest", "/api/v1/weeks/2024-W48",
                 "/api/v1/months/2024-11", "/api/v1/trending"):
        if path.endswith("trending") and query.startswith("sort"):
            continue  # trending has one order
        assert _error(client, f"{path}?{query}", 422) == "invalid_request", (path, query)


# -- search and people ----------------------------------------------------------------------


def test_search_is_the_api_search_object(client: TestClient) -> None:
    for query in ("q=transformer&limit=5&mode=keyword", "q=%00%FF&offset=-3",
                  "q=2411.99001", "q=language&limit=100000&sort=date&mode=keyword"):
        ours = _json(client, f"/api/v1/search?{query}")
        theirs = _json(client, f"/api/search?{query}")
        ours.pop("took_ms")
        theirs.pop("took_ms")
        assert ours == theirs
    assert _error(client, "/api/v1/search?mode=psychic", 422) == "invalid_request"


def test_public_profile(client: TestClient, site_engine: Engine) -> None:  # noqa: F811
    with Session(site_engine) as session:
        user = session.scalar(select(User).where(User.username == "demo-karen"))
        assert user is not None
        upvoted = [p.arxiv_id for p in queries.upvoted_by_user(session, user.id)]
        comment_count = queries.user_comment_count(session, user.id)
    profile = _json(client, "/api/v1/users/DEMO-Karen")
    assert profile["username"] == "demo-karen" and profile["url"] == "/users/demo-karen"
    assert profile["display_name"] == "Karen (demo)" and profile["joined"] == (
        "2024-11-01T09:00:00Z")
    assert [p["id"] for p in profile["upvoted"]] == upvoted and upvoted
    assert profile["comment_count"] == comment_count
    submitted = [item["paper"]["id"] for item in profile["submitted"]]
    assert submitted == _page_ids(
        client, "/users/demo-karen", '//section[@class="profile-submitted"]') and submitted
    assert all(item["submitter"]["username"] == "demo-karen" for item in profile["submitted"])


def test_private_upvotes_stay_private(client: TestClient) -> None:
    profile = _json(client, f"/api/v1/users/{QUIET}")
    assert profile["upvoted"] is None
    assert profile["comment_count"] == 3 and profile["submitted"] == []
    assert profile["display_name"] == "Q <b>R</b>" and profile["banned"] is False


def test_reads_need_no_token_but_refuse_a_bad_one(client: TestClient) -> None:
    for url in (f"/api/v1/papers/{OLD_ID}", f"/api/v1/days/{DAY}", "/api/v1/trending",
                f"/api/v1/users/{QUIET}", "/api/v1/search?q=x"):
        response = client.get(url, headers={"authorization": "Bearer pf_not-a-token"})
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith("Bearer")


# -- the schema ---------------------------------------------------------------------------


def test_openapi_documents_the_read_routes_and_their_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/api/v1/papers/{arxiv_id}", "/api/v1/papers/{arxiv_id}/comments",
                 "/api/v1/days/latest", "/api/v1/days/{day}", "/api/v1/weeks/{week}",
                 "/api/v1/months/{month}", "/api/v1/trending", "/api/v1/users/{name}",
                 "/api/v1/search"):
        get = schema["paths"][path]["get"]
        assert {"200", "404", "422"} <= set(get["responses"]), path
        assert "$ref" in str(get["responses"]["404"]["content"]), path
    params = {p["name"]: p for p in schema["paths"]["/api/v1/days/{day}"]["get"]["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["minimum"] == 1
    assert not any(path.endswith(".json") for path in schema["paths"])  # twins are pages
