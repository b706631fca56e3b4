"""`paperfeed export` on both databases: each selector and format, files, exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import bibtexparser
import pytest
import rispy
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage.models import DailyEntry, Paper

runner = CliRunner()
DAY = date(2024, 11, 28)


@pytest.fixture
def stored(session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    papers = [
        Paper(arxiv_id="2411.00001", version=1, title="Sparse autoencoders & {features}_1",
              abstract="We train sparse autoencoders at 100% scale.",
              authors=["Ann Müller", "Bo Erdős"], primary_category="cs.LG",
              categories=["cs.LG"], published=date(2024, 11, 27), vote_count=5),
        Paper(arxiv_id="2411.00002", version=2, title="Another paper on graphs",
              abstract="Graphs.", authors=["Cy van der Berg"], primary_category="cs.DM",
              categories=["cs.DM"], published=date(2024, 11, 26), vote_count=9),
        Paper(arxiv_id="hep-th/9901001", version=3, title="Old strings",
              abstract="Strings.", authors=["Dee Old"], primary_category="hep-th",
              categories=["hep-th"], published=date(1999, 1, 4), withdrawn=True),
    ]
    session.add_all(papers)
    session.flush()
    session.add_all(DailyEntry(day=DAY, paper_id=p.id, source="manual") for p in papers[:2])
    session.commit()
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    return db_url


def test_a_days_list_as_bibtex_in_list_order(stored: str) -> None:
    result = runner.invoke(app, ["export", "--format", "bibtex", "--date", "2024-11-28"])
    assert result.exit_code == 0, result.output
    entries = bibtexparser.loads(result.stdout).entries
    assert [e["eprint"] for e in entries] == ["2411.00002", "2411.00001"]  # most votes first
    assert entries[1]["title"] == r"{Sparse autoencoders \& {features}\_1}"
    assert entries[1]["author"] == "Müller, Ann and Erdős, Bo"


def test_ids_in_any_form_to_a_file_as_ris(stored: str, tmp_path: Path) -> None:
    out = tmp_path / "refs.ris"
    result = runner.invoke(app, ["export", "-f", "ris", "--ids",
                                 "https://arxiv.org/abs/hep-th/9901001v2",
                                 "arXiv:2411.00001,2411.00002", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 papers" in result.stderr
    refs = rispy.loads(out.read_text(encoding="utf-8"))
    assert [r["accession_number"] for r in refs] == [
        "arXiv:hep-th/9901001", "arXiv:2411.00001", "arXiv:2411.00002"]
    assert refs[0]["notes"] == ["Withdrawn"]


def test_a_search_as_csl_json(stored: str) -> None:
    result = runner.invoke(app, ["export", "-f", "csl-json", "--search", "sparse autoencoders",
                                 "--mode", "keyword"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [i["number"] for i in items] == ["2411.00001"]
    assert items[0]["author"][0] == {"family": "Müller", "given": "Ann"}


def test_jsonl_lines_are_the_canonical_json(stored: str) -> None:
    result = runner.invoke(app, ["export", "-f", "jsonl", "--ids", "2411.00002"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["show", "2411.00002", "--json"])
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        json.loads(shown.stdout)]


def test_unknown_ids_are_reported_and_exit_3(stored: str) -> None:
    result = runner.invoke(app, ["export", "-f", "bibtex", "--ids", "2411.00001",
                                 "2411.99999"])
    assert result.exit_code == 3
    assert [e["eprint"] for e in bibtexparser.loads(result.stdout).entries] == ["2411.00001"]
    assert "not stored here: 2411.99999" in result.stderr


@pytest.mark.parametrize("args", [
    ["--date", "2024-11-27"],            # nobody listed anything that day
    ["--ids", "2411.99999"],             # not stored
    ["--search", "zzzunknownword"],      # no results
])
def test_nothing_to_export_exits_1_and_writes_nothing(
    stored: str, args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "none.bib"
    result = runner.invoke(app, ["export", "-f", "bibtex", *args, "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "error:" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["-f", "endnote", "--date", "2024-11-28"], "unknown --format"),
    (["-f", "bibtex"], "exactly one of"),
    (["-f", "bibtex", "--date", "2024-11-28", "--search", "x"], "exactly one of"),
    (["-f", "bibtex", "--date", "28/11/2024"], "not a date"),
    (["-f", "bibtex", "--ids", "not-an-id"], "not an arXiv id"),
    (["-f", "bibtex", "--ids"], "at least one"),
    (["-f", "bibtex", "2411.00001"], "after --ids"),
])
def test_usage_errors_exit_2_with_one_line(stored: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
