"""`paperfeed show` and `stats`: the canonical JSON and the counts, on both databases."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage.models import Paper, PaperVersion

runner = CliRunner()

KEYS = {
    "id", "version", "title", "abstract", "authors", "primary_category", "categories",
    "published", "updated", "comments", "journal_ref", "doi", "license", "withdrawn", "upvotes",
}


@pytest.fixture
def stored(session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    paper = Paper(
        arxiv_id="hep-th/9901001", version=3, title="Strings & <Things>",
        abstract="An abstract.", authors=["Ann Author", "Bob Writer"],
        primary_category="hep-th", categories=["hep-th", "gr-qc"],
        published=date(1999, 1, 4), updated=date(1999, 3, 1), doi="10.1000/x", vote_count=7,
        arxiv_comment="10 pages, 3 figures",
    )
    session.add(paper)
    session.flush()
    session.add_all([PaperVersion(paper_id=paper.id, version=v) for v in (1, 2, 3)])
    session.commit()
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    return db_url


def test_show_json_has_exactly_the_canonical_keys(stored: str) -> None:
    result = runner.invoke(app, ["show", "https://arxiv.org/abs/hep-th/9901001v2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert data["id"] == "hep-th/9901001"
    assert data["version"] == 3
    assert data["authors"] == ["Ann Author", "Bob Writer"]
    assert data["categories"] == ["hep-th", "gr-qc"]
    assert data["published"] == "1999-01-04"
    assert data["upvotes"] == 7
    assert data["withdrawn"] is False


def test_show_json_keeps_the_comments_key_for_the_arxiv_comment(stored: str) -> None:
    # The field is arxiv_comment in the code and the database; the documented JSON key
    # stays "comments".
    result = runner.invoke(app, ["show", "hep-th/9901001", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["comments"] == "10 pages, 3 figures"
    assert "arxiv_comment" not in data
    assert '"comments": "10 pages, 3 figures"' in result.stdout


def test_show_text_prints_the_title_literally(stored: str) -> None:
    result = runner.invoke(app, ["show", "hep-th/9901001"])
    assert result.exit_code == 0
    assert "Strings & <Things>" in result.stdout


def test_unknown_paper_is_one_line_and_exit_1(stored: str) -> None:
    result = runner.invoke(app, ["show", "2401.01234"])
    assert result.exit_code == 1
    assert "no paper 2401.01234" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_malformed_id_is_an_error(stored: str) -> None:
    result = runner.invoke(app, ["show", "not-an-id"])
    assert result.exit_code == 1
    assert "not an arXiv id" in result.output


def test_stats_counts(stored: str) -> None:
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "papers": 1, "versions": 3, "daily_entries": 0, "users": 0, "votes": 0, "comments": 0,
    }


def test_out_of_date_schema_is_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1
    assert "paperfeed db upgrade" in result.output


def test_db_upgrade_creates_the_schema(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'pf.db'}")
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and "schema upgraded" in first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0 and "already at" in second.output
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["papers"] == 0


def test_unreachable_database_names_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", "postgresql+psycopg://u:topsecret@127.0.0.1:1/x")
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1
    assert "cannot connect to database postgresql+psycopg://u:***@127.0.0.1:1/x" in result.output
    assert "topsecret" not in result.output
