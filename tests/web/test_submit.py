"""The Submit form in the browser's place (FastAPI TestClient), on SQLite and
PostgreSQL, with a real HTTP server on loopback answering as the arXiv API from
recorded responses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func, select

from paperfeed.community.membership import delete_account
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import DailyEntry, Paper, User
from tests.community.arxiv_replay import (
    EMPTY,
    GARBAGE,
    WITHDRAWN,
    FakeArxiv,
    fake_arxiv,
    ok,
)
from tests.sources.replay import Reply, serve
from tests.web.conftest import page, texts
from tests.web.sessions import START, Site, login, make_site, make_user, token

TODAY = datetime.fromtimestamp(START, UTC).date().isoformat()
STORED = "2411.17700"


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with fake_arxiv() as fake:
        yield fake


def submit_site(engine: Engine, tmp_path: Path, arxiv: FakeArxiv, **extra: object) -> Site:
    with write_session(engine) as session:
        session.add(Paper(arxiv_id=STORED, title="A stored paper about <b>bold</b> claims",
                          authors=["Ann"]))
    extra.setdefault("rate_limits", {"signup": "100/1h"})
    return make_site(engine, tmp_path, arxiv_api_url=arxiv.url, request_interval=0.0, **extra)


@pytest.fixture
def site(engine: Engine, tmp_path: Path, arxiv: FakeArxiv) -> Site:
    return submit_site(engine, tmp_path, arxiv)


def signed_in(site: Site, name: str = "ada") -> TestClient:
    make_user(site.engine, name)
    client = site.client()
    assert login(client, name).status_code == 303
    return client


def post(client: TestClient, text: str, csrf: str | None = None) -> Response:
    data = {"paper": text}
    data["csrf_token"] = token(client, "/submit") if csrf is None else csrf
    return client.post("/submit", data=data)


def entry_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(DailyEntry)) or 0)


def paper_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Paper)) or 0)


def form_error(response: Response) -> str:
    return " ".join(texts(page(response), '//p[@class="form-error"]'))


def typed(response: Response) -> str:
    return str(page(response).xpath('//input[@name="paper"]/@value')[0])


def test_the_form_needs_a_login(site: Site) -> None:
    client = site.client()
    response = client.get("/submit")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/submit"
    csrf = token(client, "/login")
    response = client.post("/submit", data={"csrf_token": csrf, "paper": STORED})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert entry_count(site.engine) == 0
    # After logging in through that link, the reader lands on the form.
    make_user(site.engine, "ada")
    response = login(client, "ada", next_path="/submit")
    assert response.headers["location"] == "/submit"


def test_the_form_is_labelled_and_carries_the_token(site: Site) -> None:
    client = signed_in(site)
    doc = page(client.get("/submit"))
    field = doc.xpath('//form[@action="/submit"]//input[@name="paper"]')[0]
    assert texts(doc, f'//label[@for="{field.get("id")}"]') == ["arXiv id or link"]
    assert doc.xpath('//form[@action="/submit"]//input[@name="csrf_token"]/@value')
    assert "10 more papers today" in " ".join(texts(doc, "//main"))


def test_a_stored_paper_lands_on_its_page_with_a_notice(site: Site, arxiv: FakeArxiv) -> None:
    client = signed_in(site)
    response = post(client, f"https://arxiv.org/abs/{STORED}v2")
    assert response.status_code == 303
    assert response.headers["location"] == f"/papers/{STORED}?submitted=1"
    doc = page(client.get(response.headers["location"]))
    assert "you submitted this paper" in " ".join(texts(doc, '//*[@role="status"]'))
    assert texts(doc, '//ul[@class="submitted-by"]/li') == [f"Submitted by ada on {TODAY}"]
    assert doc.xpath('//ul[@class="submitted-by"]//a[@href="/users/ada"]')
    assert doc.xpath(f'//ul[@class="submitted-by"]//a[@href="/date/{TODAY}"]')
    assert arxiv.requests == []
    # It is on today's list, and the plain page (no ?submitted) has no notice.
    daily = page(client.get(f"/date/{TODAY}"))
    assert f"/papers/{STORED}" in [str(h) for h in daily.xpath("//a/@href")]
    plain = page(client.get(f"/papers/{STORED}"))
    assert not plain.xpath('//*[contains(@class, "submitted-notice")]')


def test_an_unknown_paper_is_fetched_and_shown(
    site: Site, arxiv: FakeArxiv, tmp_path: Path
) -> None:
    client = signed_in(site)
    response = post(client, "arXiv:1605.08386")
    assert response.status_code == 303, form_error(response)
    assert response.headers["location"] == "/papers/1605.08386?submitted=1"
    assert len(arxiv.requests) == 1
    assert arxiv.requests[0].params["id_list"] == "1605.08386"
    assert "paperfeed" in arxiv.requests[0].headers["user-agent"]
    # Paced together with `paperfeed harvest` through its lock file in the data directory.
    assert (tmp_path / "arxiv-requests.lock").exists()
    doc = page(client.get("/papers/1605.08386"))
    assert texts(doc, "//h1") == ["Heat-bath random walks with Markov bases"]
    assert texts(doc, '//ul[@class="submitted-by"]/li') == [f"Submitted by ada on {TODAY}"]


@pytest.mark.parametrize("text", [
    STORED, f" {STORED} ", f"{STORED}v1", f"arXiv:{STORED}",
    f"https://arxiv.org/pdf/{STORED}v2.pdf", f"https://arxiv.org/pdf/{STORED}",
    f"export.arxiv.org/abs/{STORED}", f"www.arxiv.org/abs/{STORED}",
])
def test_pasted_forms(site: Site, arxiv: FakeArxiv, text: str) -> None:
    client = signed_in(site)
    response = post(client, text)
    assert response.headers["location"] == f"/papers/{STORED}?submitted=1"
    assert arxiv.requests == []


def test_a_link_to_another_host_is_refused_and_nothing_is_fetched(
    site: Site, arxiv: FakeArxiv
) -> None:
    client = signed_in(site)
    with serve(lambda _r: ok(b"")) as other:
        text = f"{other.url}/abs/{STORED}"
        response = post(client, text)
        assert response.status_code == 400
        assert "is not arXiv" in form_error(response)
        assert typed(response) == text  # what was typed stays in the field
        assert other.requests == []
    assert arxiv.requests == []
    assert entry_count(site.engine) == 0


def test_malformed_input_keeps_what_was_typed_and_escapes_it(site: Site) -> None:
    client = signed_in(site)
    hostile = '"><script>alert(1)</script>'
    response = post(client, hostile)
    assert response.status_code == 400
    assert "is not an arXiv id" in form_error(response)
    assert typed(response) == hostile
    assert "<script>alert(1)" not in response.text
    doc = page(response)
    assert not doc.xpath("//main//script")
    field = doc.xpath('//input[@name="paper"]')[0]
    assert field.get("aria-invalid") == "true"
    assert "form-error" in field.get("aria-describedby")
    assert entry_count(site.engine) == 0


@pytest.mark.parametrize(("reply", "text", "status", "words"), [
    (ok(EMPTY), "2411.99999", 422, "arXiv has no paper 2411.99999"),
    (ok(WITHDRAWN), "1605.08386", 422, "withdrawn"),
    (Reply(503, b"busy"), "2411.99999", 502, "try again in a few minutes"),
    (ok(GARBAGE), "2411.99999", 502, "try again"),
], ids=["unknown", "withdrawn", "503", "garbage"])
def test_what_arxiv_cannot_give(
    site: Site, arxiv: FakeArxiv, reply: Reply, text: str, status: int, words: str
) -> None:
    arxiv.reply = reply
    client = signed_in(site)
    before = paper_count(site.engine)
    response = post(client, text)
    assert response.status_code == status
    assert words in form_error(response)
    assert typed(response) == text
    assert paper_count(site.engine) == before and entry_count(site.engine) == 0


def test_a_paper_already_listed_is_refused_with_a_link(site: Site) -> None:
    ada = signed_in(site, "ada")
    assert post(ada, STORED).status_code == 303
    bob = signed_in(site, "bob")
    response = post(bob, f"https://arxiv.org/abs/{STORED}")
    assert response.status_code == 409
    assert "already on today's list" in form_error(response)
    doc = page(response)
    assert doc.xpath(f'//p[@class="form-error"]//a[@href="/papers/{STORED}"]')
    assert entry_count(site.engine) == 1


def test_the_daily_cap(engine: Engine, tmp_path: Path, arxiv: FakeArxiv) -> None:
    site = submit_site(engine, tmp_path, arxiv, submissions_per_day=1)
    client = signed_in(site)
    assert "1 more paper today" in page(client.get("/submit")).text_content()
    assert post(client, STORED).status_code == 303
    response = post(client, "1605.08386")
    assert response.status_code == 429
    assert "come back tomorrow" in form_error(response)
    retry = int(response.headers["retry-after"])
    assert 0 < retry <= 86400
    assert arxiv.requests == [] and entry_count(site.engine) == 1
    site.move(retry)  # the next day (UTC): a new allowance
    assert post(client, "1605.08386").status_code == 303


def test_a_missing_or_foreign_token_is_refused_and_nothing_written(site: Site) -> None:
    ada = signed_in(site, "ada")
    response = ada.post("/submit", data={"paper": STORED})
    assert response.status_code == 403
    assert "nothing was saved" in form_error(response)
    assert typed(response) == STORED
    bob = signed_in(site, "bob")
    response = post(ada, STORED, csrf=token(bob, "/submit"))
    assert response.status_code == 403
    assert entry_count(site.engine) == 0


def test_the_rate_limit_answers_429_with_retry_after(
    engine: Engine, tmp_path: Path, arxiv: FakeArxiv
) -> None:
    site = submit_site(engine, tmp_path, arxiv,
                       rate_limits={"signup": "100/1h", "submit": "2/1h"})
    client = signed_in(site)
    assert post(client, "nonsense").status_code == 400
    assert post(client, "nonsense").status_code == 400
    response = post(client, STORED)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many" in form_error(response)
    assert typed(response) == STORED
    assert entry_count(site.engine) == 0
    site.move(3600)
    assert post(client, STORED).status_code == 303


def test_the_per_address_limit_counts_every_account(
    engine: Engine, tmp_path: Path, arxiv: FakeArxiv
) -> None:
    site = submit_site(engine, tmp_path, arxiv,
                       rate_limits={"signup": "100/1h", "submit_per_address": "1/1h"})
    assert post(signed_in(site, "ada"), "nonsense").status_code == 400
    response = post(signed_in(site, "bob"), STORED)
    assert response.status_code == 429
    assert "retry-after" in response.headers


def test_a_banned_account_cannot_submit(site: Site) -> None:
    client = signed_in(site, "mallory")
    csrf = token(client, "/submit")
    with write_session(site.engine) as session:
        user = session.scalar(select(User).where(User.username == "mallory"))
        assert user is not None
        user.is_banned = True
    response = client.post("/submit", data={"csrf_token": csrf, "paper": STORED})
    assert response.status_code in (303, 403)  # logged out (ban) or refused
    assert entry_count(site.engine) == 0


def test_submitted_by_a_deleted_account(site: Site) -> None:
    client = signed_in(site, "ada")
    assert post(client, STORED).status_code == 303
    with write_session(site.engine) as session:
        user = session.scalar(select(User).where(User.username == "ada"))
        assert user is not None
        delete_account(session, user)
    doc = page(site.client().get(f"/papers/{STORED}"))
    assert texts(doc, '//ul[@class="submitted-by"]/li') == [
        f"Submitted by deleted user on {TODAY}"
    ]
    assert not doc.xpath('//ul[@class="submitted-by"]//a[starts-with(@href, "/users/")]')


def test_entries_without_a_submitter_say_where_they_came_from(site: Site) -> None:
    with write_session(site.engine) as session:
        paper = session.scalar(select(Paper).where(Paper.arxiv_id == STORED))
        assert paper is not None
        session.add_all([
            DailyEntry(day=date(2025, 1, 2), paper_id=paper.id, source="rule"),
            DailyEntry(day=date(2025, 1, 3), paper_id=paper.id, source="import",
                       submitted_by_name="<i>hf-user</i>"),
            DailyEntry(day=date(2025, 1, 4), paper_id=paper.id, source="manual"),
            DailyEntry(day=date(2025, 1, 5), paper_id=paper.id, source="manual",
                       hidden=True),
        ])
    response = site.client().get(f"/papers/{STORED}")
    assert texts(page(response), '//ul[@class="submitted-by"]/li') == [
        "Picked by this site's rules for 2025-01-02",
        "Imported onto the list of 2025-01-03 (submitted by <i>hf-user</i> at the source)",
        "Featured on 2025-01-04",
    ]
    assert "<i>hf-user</i>" not in response.text
