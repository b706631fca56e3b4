"""`paperfeed index` from the terminal, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from tests.search.semantic_fixtures import load_demo

runner = CliRunner()


@pytest.fixture
def configured(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    n = load_demo(engine)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    return n


def test_index_embeds_what_is_missing_then_nothing(configured: int) -> None:
    first = runner.invoke(app, ["index"])
    assert first.exit_code == 0, first.output
    assert f"embedded {configured} papers" in first.output
    again = runner.invoke(app, ["index", "--batch-size", "7"])
    assert again.exit_code == 0, again.output
    assert "embedded 0 papers" in again.output
    quiet = runner.invoke(app, ["index", "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_unknown_model_is_a_usage_error() -> None:
    result = runner.invoke(app, ["index", "--model", "gpt-17"])
    assert result.exit_code == 2
    assert "unknown model 'gpt-17'" in result.output
    assert "Traceback" not in result.output


def test_bad_batch_size_is_a_usage_error() -> None:
    result = runner.invoke(app, ["index", "--batch-size", "0"])
    assert result.exit_code == 2


def test_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 1
    assert "cannot connect" in result.output
    assert "Traceback" not in result.output
