"""`paperfeed search` on both databases: readable output, --json equal to the API object,
usage errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.web.app import create_app
from tests.search.kw_corpus import add_corpus

runner = CliRunner()


@pytest.fixture
def db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    add_corpus(engine)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    return db_url


def test_human_output(db: str) -> None:
    result = runner.invoke(app, ["search", "sparse", "--mode", "keyword"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 results" in out
    assert out.index("Sparse autoencoders") < out.index("Graph neural networks")
    assert "2401.00001" in out and "Ada Lovelace" in out
    assert "<mark>" not in out


def test_json_is_the_api_object(db: str, engine: Engine, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["search", "sparse", "--mode", "keyword", "--limit", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    cli_obj = json.loads(result.output)
    settings = Settings(database_url=db, data_dir=tmp_path / "x", demo=True)
    with TestClient(create_app(settings, engine)) as client:
        api_obj = client.get(
            "/api/search", params={"q": "sparse", "mode": "keyword", "limit": 2}
        ).json()
    cli_obj.pop("took_ms")
    api_obj.pop("took_ms")
    assert cli_obj == api_obj
    assert len(cli_obj["results"]) == 2


def test_messages_and_clamps(db: str) -> None:
    result = runner.invoke(app, ["search", "the and of"])
    assert result.exit_code == 0 and "common words" in result.output
    result = runner.invoke(app, ["search", "cat:cs", "--limit", "-5", "--json"])
    assert json.loads(result.output)["limit"] == 1
    result = runner.invoke(app, ["search", '"unbalanced AND OR *', "--mode", "keyword"])
    assert result.exit_code == 0


def test_usage_errors(db: str) -> None:
    result = runner.invoke(app, ["search", "x", "--mode", "fuzzy"])
    assert result.exit_code == 2 and "unknown --mode" in result.output
    result = runner.invoke(app, ["search", "x", "--sort", "votes"])
    assert result.exit_code == 2 and "unknown --sort" in result.output


def test_unmigrated_database_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["search", "sparse"])
    assert result.exit_code == 1 and "paperfeed db upgrade" in result.output
    assert "Traceback" not in result.output
