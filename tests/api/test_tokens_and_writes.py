"""API tokens (settings page and `paperfeed token`), the API's writes with them (vote,
unvote, submit, comment), the request limits, and the error shape; on SQLite and
PostgreSQL, with a real HTTP server on loopback answering as the arXiv API."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.accounts.users import set_banned
from paperfeed.cli import app as cli_app
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import ApiToken, Comment, DailyEntry, Paper, User, Vote
from tests.community.arxiv_replay import FakeArxiv, fake_arxiv
from tests.web.conftest import page, texts
from tests.web.sessions import START, Site, login, make_site, make_user, token

PAPER = "2411.17700"
OTHER = "2411.17701"
TODAY = datetime.fromtimestamp(START, UTC).date().isoformat()


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with fake_arxiv() as fake:
        yield fake


def api_site(engine: Engine, tmp_path: Path, arxiv: FakeArxiv, **extra: object) -> Site:
    with write_session(engine) as session:
        session.add_all([
            Paper(arxiv_id=PAPER, title="A stored paper", authors=["Ann"]),
            Paper(arxiv_id=OTHER, title="Another stored paper", authors=["Bo"]),
        ])
    extra.setdefault("rate_limits", {"signup": "100/1h"})
    return make_site(engine, tmp_path, arxiv_api_url=arxiv.url, request_interval=0.0, **extra)


@pytest.fixture
def site(engine: Engine, tmp_path: Path, arxiv: FakeArxiv) -> Site:
    return api_site(engine, tmp_path, arxiv)


def browser(site: Site, name: str = "ada") -> TestClient:
    make_user(site.engine, name)
    client = site.client()
    assert login(client, name).status_code == 303
    return client


def make_token(client: TestClient, name: str = "script", scope: str = "write") -> str:
    response = client.post("/settings/tokens", data={
        "csrf_token": token(client, "/settings/tokens"), "name": name, "scope": scope})
    assert response.status_code == 201, response.text
    [value] = page(response).xpath('//input[@id="new-token"]/@value')
    return str(value)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def votes(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Vote)) or 0)


def error(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return dict(body["error"])


# -- tokens in the settings ---------------------------------------------------------------


def test_a_token_is_shown_once_listed_by_its_prefix_and_stored_as_a_hash(site: Site) -> None:
    client = browser(site)
    value = make_token(client, "lab <script>digest</script>", scope="read")
    assert value.startswith("pf_") and len(value) > 40
    listing = client.get("/settings/tokens")
    assert listing.status_code == 200
    assert value not in listing.text  # never again
    assert "no-store" in listing.headers["cache-control"]
    doc = page(listing)
    rows = texts(doc, '//table[@class="tokens"]/tbody/tr')
    assert len(rows) == 1 and "lab <script>digest</script>" in rows[0] and "read" in rows[0]
    assert "<script>digest" not in listing.text  # the name is escaped
    assert value[:9] in rows[0]
    with session_factory(site.engine)() as session:
        [stored] = session.scalars(select(ApiToken)).all()
        assert value not in (stored.token_hash, stored.prefix)
        assert len(stored.token_hash) == 64 and not stored.can_write
    assert client.get("/settings").status_code == 200
    assert page(client.get("/settings")).xpath('//a[@href="/settings/tokens"]')


def test_the_token_forms_need_csrf_and_a_login(site: Site) -> None:
    client = browser(site)
    refused = client.post("/settings/tokens", data={"csrf_token": "forged", "name": "x"})
    assert refused.status_code == 403
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    value = make_token(client)
    with session_factory(site.engine)() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    assert client.post(f"/settings/tokens/{token_id}/revoke",
                       data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/v1/search?q=x", headers=bearer(value)).status_code == 200
    anonymous = site.client()
    assert anonymous.get("/settings/tokens").status_code == 303
    assert anonymous.post("/settings/tokens", data={"name": "x"}).status_code == 303


def test_a_token_needs_a_name(site: Site) -> None:
    client = browser(site)
    response = client.post("/settings/tokens", data={
        "csrf_token": token(client, "/settings/tokens"), "name": "   ", "scope": "read"})
    assert response.status_code == 400
    assert "name" in " ".join(texts(page(response), '//*[@id="token-form-error"]'))


def test_revoking_a_token_stops_it_at_once(site: Site) -> None:
    client = browser(site)
    value = make_token(client)
    api = site.client()
    assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)).status_code == 200
    with session_factory(site.engine)() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    revoked = client.post(f"/settings/tokens/{token_id}/revoke",
                          data={"csrf_token": token(client, "/settings/tokens")})
    assert revoked.status_code == 303
    assert "revoked" in client.get(revoked.headers["location"]).text
    response = api.delete(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value))
    assert response.status_code == 401
    assert error(response)["code"] == "invalid_token"
    assert votes(site.engine) == 1  # nothing written
    # Another account cannot revoke someone else's token.
    other = browser(site, "bob")
    bob_token = make_token(other)
    with session_factory(site.engine)() as session:
        bob_id = session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_(None))).one()
    assert client.post(f"/settings/tokens/{bob_id}/revoke", data={
        "csrf_token": token(client, "/settings/tokens")}).status_code == 404
    assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(bob_token)).status_code == 200


# -- writes ------------------------------------------------------------------------------


def test_vote_and_unvote_are_idempotent_and_answer_the_count(site: Site) -> None:
    value = make_token(browser(site))
    api = site.client()
    for _ in range(2):
        response = api.post(f"/api/v1/papers/{PAPER}v2/vote", headers=bearer(value))
        assert response.status_code == 200, response.text
        assert response.json() == {"paper": PAPER, "upvotes": 1, "voted": True}
    assert votes(site.engine) == 1
    for _ in range(2):
        response = api.delete(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value))
        assert response.json() == {"paper": PAPER, "upvotes": 0, "voted": False}
    assert votes(site.engine) == 0
    missing = api.post("/api/v1/papers/2411.99999/vote", headers=bearer(value))
    assert missing.status_code == 404 and error(missing)["code"] == "not_found"
    garbage = api.post("/api/v1/papers/not-an-id/vote", headers=bearer(value))
    assert garbage.status_code == 404


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer pf_wrongwrongwrongwrongwrongwrongwrong"}, 401, "invalid_token"),
    ({"Authorization": "Bearer nonsense"}, 401, "invalid_token"),
    ({"Authorization": "Basic YWRhOnB3"}, 401, "unauthorized"),
])
def test_a_write_without_a_good_token_is_401_and_writes_nothing(
    site: Site, headers: dict[str, str], status: int, code: str
) -> None:
    make_token(browser(site))
    api = site.client()
    response = api.post(f"/api/v1/papers/{PAPER}/vote", headers=headers)
    assert response.status_code == status
    assert error(response)["code"] == code
    assert response.headers["www-authenticate"].startswith("Bearer")
    submitted = api.post("/api/v1/submissions", json={"id": OTHER}, headers=headers)
    assert submitted.status_code == 401
    commented = api.post(f"/api/v1/papers/{PAPER}/comments", json={"body": "hi"},
                         headers=headers)
    assert commented.status_code == 401
    assert votes(site.engine) == 0
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(DailyEntry)) == 0
        assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_read_only_token_reads_but_cannot_write(site: Site) -> None:
    value = make_token(browser(site), scope="read")
    api = site.client()
    assert api.get("/api/v1/search?q=stored", headers=bearer(value)).status_code == 200
    for response in (
        api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)),
        api.post("/api/v1/submissions", json={"id": OTHER}, headers=bearer(value)),
        api.post(f"/api/v1/papers/{PAPER}/comments", json={"body": "hi"}, headers=bearer(value)),
    ):
        assert response.status_code == 403
        assert error(response)["code"] == "insufficient_scope"
    assert votes(site.engine) == 0


def test_a_bad_token_on_a_read_is_refused_not_ignored(site: Site) -> None:
    api = site.client()
    assert api.get("/api/v1/search?q=x").status_code == 200
    response = api.get("/api/v1/search?q=x", headers=bearer("pf_" + "x" * 43))
    assert response.status_code == 401 and error(response)["code"] == "invalid_token"


def test_a_banned_accounts_tokens_stop_working(site: Site) -> None:
    value = make_token(browser(site))
    with write_session(site.engine) as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        set_banned(session, user, True)
    response = site.client().post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value))
    assert response.status_code == 401
    assert votes(site.engine) == 0


def test_submit_puts_a_stored_or_fetched_paper_on_todays_list(
    site: Site, arxiv: FakeArxiv
) -> None:
    value = make_token(browser(site))
    api = site.client()
    response = api.post("/api/v1/submissions", json={"id": f"https://arxiv.org/abs/{PAPER}v1"},
                        headers=bearer(value))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["paper"] == PAPER and body["day"] == TODAY and body["fetched"] is False
    assert body["url"].endswith(f"/papers/{PAPER}")
    assert arxiv.requests == []
    again = api.post("/api/v1/submissions", json={"id": PAPER}, headers=bearer(value))
    assert again.status_code == 409 and error(again)["code"] == "already_listed"
    fetched = api.post("/api/v1/submissions", json={"id": "arXiv:1605.08386"},
                       headers=bearer(value))
    assert fetched.status_code == 201, fetched.text
    assert fetched.json()["fetched"] is True and len(arxiv.requests) == 1
    with session_factory(site.engine)() as session:
        listed = session.scalars(select(Paper.arxiv_id).join(
            DailyEntry, DailyEntry.paper_id == Paper.id)).all()
    assert sorted(listed) == ["1605.08386", PAPER]


@pytest.mark.parametrize("body", [
    {}, {"id": ""}, {"id": PAPER, "extra": 1}, {"id": 5}, [PAPER],
])
def test_a_malformed_submission_is_422_in_the_error_shape(site: Site, body: object) -> None:
    value = make_token(browser(site))
    response = site.client().post("/api/v1/submissions", json=body, headers=bearer(value))
    assert response.status_code == 422
    assert error(response)["code"] == "invalid_request"


def test_not_an_arxiv_paper_is_refused(site: Site, arxiv: FakeArxiv) -> None:
    value = make_token(browser(site))
    response = site.client().post("/api/v1/submissions", json={"id": "https://evil.example/x"},
                                  headers=bearer(value))
    assert response.status_code == 422
    assert arxiv.requests == []


def test_comment_and_reply(site: Site) -> None:
    value = make_token(browser(site))
    api = site.client()
    first = api.post(f"/api/v1/papers/{PAPER}/comments",
                     json={"body": "Nice *result* <script>x</script> $a^2$", "parent_id": None},
                     headers=bearer(value))
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["author"] == "ada" and made["parent_id"] is None and made["paper"] == PAPER
    assert "<em>result</em>" in made["body_html"] and "<script>" not in made["body_html"]
    assert made["url"].endswith(f"/papers/{PAPER}#comment-{made['id']}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", made["created_at"])
    reply = api.post(f"/api/v1/papers/{PAPER}/comments",
                     json={"body": "Agreed", "parent_id": made["id"]}, headers=bearer(value))
    assert reply.status_code == 201 and reply.json()["parent_id"] == made["id"]
    # The paper page shows both.
    doc = page(site.client().get(f"/papers/{PAPER}"))
    assert "Agreed" in " ".join(texts(doc, "//article//*"))
    empty = api.post(f"/api/v1/papers/{PAPER}/comments", json={"body": "  "},
                     headers=bearer(value))
    assert empty.status_code == 422
    stray = api.post(f"/api/v1/papers/{OTHER}/comments",
                     json={"body": "x", "parent_id": made["id"]}, headers=bearer(value))
    assert stray.status_code in (404, 422)
    extra = api.post(f"/api/v1/papers/{PAPER}/comments", json={"body": "x", "html": "<b>"},
                     headers=bearer(value))
    assert extra.status_code == 422
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 2


def test_the_action_limits_of_the_forms_apply(
    engine: Engine, tmp_path: Path, arxiv: FakeArxiv
) -> None:
    site = api_site(engine, tmp_path, arxiv,
                    rate_limits={"signup": "100/1h", "vote": "2/1m"})
    value = make_token(browser(site))
    api = site.client()
    for _ in range(2):
        assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)).status_code == 200
    limited = api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert error(limited)["code"] == "too_many_requests"
    site.move(61)
    assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)).status_code == 200


# -- request limits ----------------------------------------------------------------------


def test_requests_per_address_and_per_token_are_limited_with_ratelimit_headers(
    engine: Engine, tmp_path: Path, arxiv: FakeArxiv
) -> None:
    site = api_site(engine, tmp_path, arxiv, rate_limits={
        "signup": "100/1h", "api_per_address": "3/1m", "api": "5/1m"})
    value = make_token(browser(site), scope="read")
    api = site.client()
    seen = [api.get("/api/v1/search?q=x") for _ in range(3)]
    assert [r.status_code for r in seen] == [200, 200, 200]
    assert [r.headers["ratelimit-remaining"] for r in seen] == ["2", "1", "0"]
    assert seen[0].headers["ratelimit-policy"] == "3;w=60"
    assert seen[0].headers["ratelimit"].startswith("limit=3, remaining=2, reset=")
    over = api.get("/api/v1/search?q=x")
    assert over.status_code == 429
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert error(over)["code"] == "too_many_requests"
    assert api.get("/feeds/daily.atom").status_code == 429  # feeds count too
    assert api.get("/").status_code == 200  # pages are not API requests
    # The token has its own allowance.
    with_token = [api.get("/api/v1/search?q=x", headers=bearer(value)) for _ in range(6)]
    assert [r.status_code for r in with_token] == [200] * 5 + [429]
    site.move(60)
    assert api.get("/api/v1/search?q=x").status_code == 200


# -- secrecy -----------------------------------------------------------------------------


def test_a_token_never_appears_in_logs_or_later_responses(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = browser(site)
    value = make_token(client)
    api = site.client()
    answers = [
        api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)),
        api.get("/api/v1/search?q=stored", headers=bearer(value)),
        api.post("/api/v1/submissions", json={"id": "nonsense"}, headers=bearer(value)),
        api.get("/api/v1/nothing-here", headers=bearer(value)),
        api.post(f"/api/v1/papers/{PAPER}/comments", json={"body": value},
                 headers=bearer(value + "x")),
        client.get("/settings/tokens"),
        client.get("/settings"),
    ]
    for response in answers:
        assert value not in response.text
        assert all(value not in v for v in response.headers.values())
    assert value not in caplog.text


# -- the command line --------------------------------------------------------------------


def test_token_create_prints_a_working_token_once(site: Site, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL",
                       site.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    make_user(site.engine, "ada")
    runner = CliRunner()
    made = runner.invoke(cli_app, ["token", "create", "ada", "--name", "cron", "--write"])
    assert made.exit_code == 0, made.output
    value = made.stdout.strip()
    assert value.startswith("pf_") and "\n" not in value
    api = site.client()
    assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)).status_code == 200
    listed = runner.invoke(cli_app, ["token", "list", "ada", "--json"])
    assert listed.exit_code == 0 and value not in listed.output
    assert '"name": "cron"' in listed.output and '"access": "read-write"' in listed.output
    read_only = runner.invoke(cli_app, ["token", "create", "ada"]).stdout.strip()
    assert api.post(f"/api/v1/papers/{PAPER}/vote",
                    headers=bearer(read_only)).status_code == 403
    unknown = runner.invoke(cli_app, ["token", "create", "nobody"])
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    with session_factory(site.engine)() as session:
        token_id = session.scalars(select(ApiToken.id).where(ApiToken.name == "cron")).one()
    revoked = runner.invoke(cli_app, ["token", "revoke", "ada", str(token_id)])
    assert revoked.exit_code == 0
    assert api.post(f"/api/v1/papers/{PAPER}/vote", headers=bearer(value)).status_code == 401
    again = runner.invoke(cli_app, ["token", "revoke", "ada", str(token_id)])
    assert again.exit_code == 1


# -- errors and documentation -------------------------------------------------------------


def test_unknown_api_paths_and_methods_answer_the_error_shape(site: Site) -> None:
    api = site.client()
    missing = api.get("/api/v1/no/such/thing")
    assert missing.status_code == 404 and error(missing)["code"] == "not_found"
    wrong = api.put(f"/api/v1/papers/{PAPER}/vote")
    assert wrong.status_code == 405 and error(wrong)["code"] == "method_not_allowed"


def test_the_interactive_docs_are_served_by_the_site(site: Site) -> None:
    api = site.client()
    docs = api.get("/api/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # no CDN
    for source in sources:
        assert api.get(source).status_code == 200, source
    schema = api.get("/openapi.json").json()
    for path in ("/api/v1/submissions", "/api/v1/papers/{arxiv_id}/vote"):
        assert path in schema["paths"], sorted(schema["paths"])
    assert "bearerAuth" in str(schema["components"]).replace("HTTPBearer", "bearerAuth")
