"""`paperfeed harvest ...` end to end: a loopback server, a real database, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage.models import DailyEntry, Paper
from tests.conftest import FIXTURES
from tests.sources.harvest_pages import TOKEN, atom_page, oai_page1, oai_page2
from tests.sources.replay import Reply, Request, serve

runner = CliRunner()


@pytest.fixture
def env(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERFEED_REQUEST_INTERVAL", "0.01")
    return engine


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def oai_responder(down: list[bool]) -> object:
    def respond(req: Request) -> Reply:
        if req.params.get("resumptionToken") == TOKEN:
            return Reply(drop=True) if down[0] else Reply(body=oai_page2())
        return Reply(body=oai_page1())

    return respond


OAI_ARGS = ["harvest", "oai", "--set", "cs", "--from", "2024-01-25", "--metadata-prefix", "oai_dc"]


def test_oai_report_and_exit_0(env: Engine) -> None:
    with serve(oai_responder([False])) as server:  # type: ignore[arg-type]
        result = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "harvest oai: 2 pages, 15 added, 0 updated, 0 unchanged, 0 rejected"
    )
    assert count(env, Paper) == 15


def test_oai_network_failure_is_one_line_exit_1_then_resumes(env: Engine) -> None:
    down = [True]
    with serve(oai_responder(down)) as server:  # type: ignore[arg-type]
        failed = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
        assert failed.exit_code == 1
        lines = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and "giving up after 6 attempts: network error" in lines[0]
        assert "progress is saved" in failed.stderr
        assert "Traceback" not in failed.output
        assert count(env, Paper) == 5
        down[0] = False
        result = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
    assert result.exit_code == 0, result.output
    assert "resuming from saved resumption token" in result.stderr
    assert "harvest oai: 1 page, 10 added" in result.stdout
    assert count(env, Paper) == 15


def test_rejected_records_give_exit_3_with_their_location(env: Engine) -> None:
    page = oai_page2().replace(b"oai:arXiv.org:0709.2184", b"oai:arXiv.org:0709.21")
    with serve(lambda req: Reply(body=page)) as server:
        result = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
    assert result.exit_code == 3, result.output
    assert "9 added" in result.stdout and "1 rejected" in result.stdout
    assert result.stderr.startswith(
        "rejected OAI page 1:record 1 (oai:arXiv.org:0709.21): not an arXiv id"
    )
    assert count(env, Paper) == 9


def test_403_exit_1(env: Engine) -> None:
    with serve(lambda req: Reply(status=403)) as server:
        result = runner.invoke(app, [*OAI_ARGS, "--base-url", server.url])
    assert result.exit_code == 1 and "refused access (HTTP 403)" in result.stderr


def test_oai_usage_errors(env: Engine) -> None:
    first = runner.invoke(
        app, ["harvest", "oai", "--set", "cs", "--base-url", "http://127.0.0.1:9"]
    )
    assert first.exit_code == 2 and "--from is required" in first.stderr
    bad = runner.invoke(app, ["harvest", "oai", "--from", "yesterday"])
    assert bad.exit_code == 2 and "--from must be a date" in bad.stderr
    fmt = runner.invoke(app, ["harvest", "oai", "--from", "2024-01-01", "--metadata-prefix", "x"])
    assert fmt.exit_code == 2 and "--metadata-prefix must be one of" in fmt.stderr


def test_arxiv_api_by_category_with_max_quiet(env: Engine) -> None:
    def respond(req: Request) -> Reply:
        assert req.params["search_query"] == "cat:cs.LG"
        return Reply(body=atom_page(int(req.params["start"]), int(req.params["max_results"])))

    with serve(respond) as server:
        result = runner.invoke(
            app,
            [
                "harvest",
                "arxiv-api",
                "--category",
                "cs.LG",
                "--max",
                "25",
                "--page-size",
                "10",
                "--base-url",
                server.url,
                "--quiet",
            ],
        )
        assert [r.params["max_results"] for r in server.requests] == ["10", "10", "5"]
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert count(env, Paper) == 25


def test_arxiv_api_needs_query_or_category(env: Engine) -> None:
    result = runner.invoke(app, ["harvest", "arxiv-api", "--query", "x", "--category", "cs.LG"])
    assert result.exit_code == 2 and "either --query or one or more --category" in result.stderr


def test_rss_with_rules_from_the_config_file(
    env: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "paperfeed.toml"
    config.write_text('[rules]\ncategories = ["hep-lat"]\n')
    monkeypatch.setenv("PAPERFEED_CONFIG", str(config))
    feed = (FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml").read_bytes()
    with serve(lambda req: Reply(body=feed)) as server:
        result = runner.invoke(app, ["harvest", "rss", "hep-lat", "--base-url", server.url])
    assert result.exit_code == 0, result.output
    listed = count(env, DailyEntry)
    assert listed > 0
    assert result.stdout.strip() == (
        f"harvest rss: 1 page, 1,504 added, 0 updated, 0 unchanged, 0 rejected, "
        f"{listed} put on the daily list"
    )


def test_rss_error_feed_is_one_line_exit_1(env: Engine) -> None:
    feed = (FIXTURES / "arxiv_rss_2024_error_bad_archive.xml").read_bytes()
    with serve(lambda req: Reply(body=feed)) as server:
        result = runner.invoke(app, ["harvest", "rss", "astroph", "--base-url", server.url])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: arXiv RSS error: Bad archive 'astroph'.")
    assert "progress is saved" not in result.stderr


def test_oai_without_from_continues_where_the_last_harvest_ended(env: Engine) -> None:
    with serve(oai_responder([False])) as server:  # type: ignore[arg-type]
        assert runner.invoke(app, [*OAI_ARGS, "--base-url", server.url]).exit_code == 0
        seen = len(server.requests)
        args = ["harvest", "oai", "--set", "cs", "--metadata-prefix", "oai_dc"]
        result = runner.invoke(app, [*args, "--base-url", server.url])
        first = server.requests[seen]
    assert result.exit_code == 0, result.output
    # The last page answered on 2015-04-24 (the recorded responseDate).
    assert first.params["from"] == "2015-04-24"
    assert "0 added" in result.stdout and "15 unchanged" in result.stdout
