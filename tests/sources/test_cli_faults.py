"""`paperfeed harvest` against the faults a production site meets, each from a real
server on loopback, on SQLite and PostgreSQL: a server that trickles one byte a
second, one that never stops sending, one that redirects to another host, and one that
asks to wait (429 with Retry-After). The first page is stored and stays; the command
ends with one error line and exit 1; a rerun continues from the saved state."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.ingest import harvest
from paperfeed.sources.gate import RequestGate
from paperfeed.sources.http import PoliteClient
from paperfeed.storage.models import Paper
from tests.sources.harvest_pages import TOKEN, atom_page, oai_page1, oai_page2
from tests.sources.replay import ReplayServer, Reply, Request, scripted, serve
from tests.sources.test_http import FakeClock

runner = CliRunner()
OAI_ARGS = ["harvest", "oai", "--set", "cs", "--from", "2024-01-25", "--metadata-prefix", "oai_dc"]


@pytest.fixture
def env(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERFEED_REQUEST_INTERVAL", "0.01")
    return engine


def papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Paper)) or 0)


class Oai:
    """Page 1, then `second` for the resumption token (page 2 once `healed`)."""

    def __init__(self, second: Reply) -> None:
        self.second = second
        self.healed = False

    def __call__(self, req: Request) -> Reply:
        if req.params.get("resumptionToken") != TOKEN:
            return Reply(body=oai_page1())
        return Reply(body=oai_page2()) if self.healed else self.second


def harvest_fails_then_resumes(env: Engine, oai: Oai, expected: str) -> ReplayServer:
    """Run the harvest into the fault: one error line holding `expected`, exit 1, page 1
    kept; then heal the server and rerun: it resumes from the token."""
    with serve(oai) as server:
        failed = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
        assert failed.exit_code == 1, failed.output
        errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and expected in errors[0], failed.stderr
        assert "progress is saved: run the same command again to resume" in errors[0]
        assert "Traceback" not in failed.output
        assert papers(env) == 5  # page 1 stays; nothing of the failed page
        oai.healed = True
        again = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
    assert again.exit_code == 0, again.output
    assert "resuming from saved resumption token" in again.stderr
    assert "harvest oai: 1 page, 10 added" in again.stdout
    assert papers(env) == 15
    return server


def trickle() -> Iterator[bytes]:
    for byte in oai_page2():
        time.sleep(1.0)
        yield bytes([byte])


def test_a_server_answering_one_byte_a_second_times_out(
    env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_READ_TIMEOUT", "0.5")
    harvest_fails_then_resumes(
        env, Oai(Reply(stream=trickle)),
        "giving up after 6 attempts: timed out: no data from 127.0.0.1 for 0.5 s",
    )


def test_an_endless_body_is_cut_at_the_cap(env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_MAX_RESPONSE_MB", "0.5")
    endless = Reply(stream=lambda: itertools.repeat(b"<record>" + b"x" * 65_000))
    server = harvest_fails_then_resumes(
        env, Oai(endless),
        "error: 127.0.0.1 sent an answer larger than 0.5 MB; stopped reading",
    )
    assert len(server.requests) == 3  # page 1, the endless page (not retried), page 2


def test_a_redirect_to_another_host_is_refused_and_named(env: Engine) -> None:
    with serve(scripted(Reply(body=oai_page2()))) as elsewhere:
        target = elsewhere.url.replace("127.0.0.1", "localhost") + "/oai"
        redirect = Reply(status=302, headers={"Location": target})
        harvest_fails_then_resumes(env, Oai(redirect), "error: redirected to localhost: refused")
    assert elsewhere.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/oai", "oai"])
def test_a_base_url_that_is_not_http_is_a_usage_error(env: Engine, url: str) -> None:
    result = runner.invoke(app, [*OAI_ARGS, "--base-url", url])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --base-url must be an http(s) address such as https://host/path, not {url!r}\n"
    )
    assert papers(env) == 0


def test_429_with_retry_after_is_waited_out_then_the_harvest_succeeds(env: Engine) -> None:
    """The harvester waits what the server asks (counted by the clock, not slept) and
    goes on; nothing is fetched early."""
    asked = [Reply(status=429, headers={"Retry-After": "120"}), Reply(body=oai_page2())]
    second = scripted(*asked)

    def respond(req: Request) -> Reply:
        return second(req) if req.params.get("resumptionToken") else Reply(body=oai_page1())

    clock = FakeClock()
    with (
        serve(respond) as server,
        PoliteClient("t", 0.01, clock=clock, gate=RequestGate(), hosts=["127.0.0.1"]) as c,
    ):
        report = harvest.harvest_oai(env, c, base_url=server.url, set_spec="cs",
                                     from_=date(2024, 1, 25), metadata_prefix="oai_dc")
    assert report.complete and report.added == 15 and report.retries == 1
    assert len(server.requests) == 3
    assert pytest.approx(120) in clock.sleeps
    assert c.stats.problems == ["HTTP 429, Retry-After 120 s"]
    assert papers(env) == 15


def test_a_low_interval_for_arxiv_is_raised_with_a_warning(
    env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aimed at export.arxiv.org through a loopback proxy, so nothing leaves the machine."""
    with serve(scripted(Reply(body=atom_page(0, 3, 3)))) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.setenv("PAPERFEED_ARXIV_API_URL", "http://export.arxiv.org/api/query")
        result = runner.invoke(app, ["harvest", "arxiv-api", "--category", "cs.LG"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "warning: request_interval 0.01 s is below the 3 s arXiv asks for: using 3 s for "
        "export.arxiv.org"
    )
    assert [r.headers["host"] for r in proxy.requests] == ["export.arxiv.org"]
