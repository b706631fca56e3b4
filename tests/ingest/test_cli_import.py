"""`paperfeed import` and `paperfeed feature` as a user runs them, on both databases."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from tests.conftest import FIXTURES
from tests.ingest.helpers import count, dump

runner = CliRunner()
HEAD200 = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"
OLDSTYLE = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_oldstyle_id_quant-ph_0602109.jsonl"


@pytest.fixture
def db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", db_url)
    return engine


def papers(engine: Engine) -> int:
    return count(engine, "SELECT count(*) FROM papers")


def test_snapshot_import_reports_and_reimport_changes_nothing(db: Engine) -> None:
    result = runner.invoke(app, ["import", str(HEAD200), str(OLDSTYLE)])
    assert result.exit_code == 0, result.output
    assert "201 added, 0 updated, 0 unchanged, 0 rejected" in result.stdout
    before = dump(db)
    again = runner.invoke(app, ["import", str(HEAD200), "--batch-size", "7"])
    assert again.exit_code == 0
    assert "0 added, 0 updated, 200 unchanged, 0 rejected" in again.stdout
    assert dump(db) == before


def test_malformed_lines_are_reported_skipped_and_kept_aside(db: Engine, tmp_path: Path) -> None:
    good = HEAD200.read_bytes().splitlines(keepends=True)
    bad_json = b'{"id": "0704.0999", "title": "cut short\n'
    bad_utf8 = b'{"id": "0704.0998", "title": "caf\xe9"}\n'
    no_title = b'{"id": "0704.0997"}\n'
    data = b"".join([*good[:5], bad_json, *good[5:10], bad_utf8, no_title, *good[10:20]])
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(data)
    rejects = tmp_path / "rejects.jsonl"
    result = runner.invoke(app, ["import", str(src), "--rejects", str(rejects)])
    assert result.exit_code == 3, result.output
    assert "20 added, 0 updated, 0 unchanged, 3 rejected" in result.stdout
    assert f"{src}:6: bad JSON" in result.stderr
    assert f"{src}:12: bad UTF-8" in result.stderr
    assert f"{src}:13: 0704.0997: missing title" in result.stderr
    assert rejects.read_bytes() == bad_json + bad_utf8 + no_title
    assert papers(db) == 20


def test_rejects_listing_is_capped(db: Engine, tmp_path: Path) -> None:
    src = tmp_path / "junk.jsonl"
    src.write_bytes(HEAD200.read_bytes().splitlines(keepends=True)[0] + b"{oops}\n" * 30)
    result = runner.invoke(app, ["import", str(src), "--quiet"])
    assert result.exit_code == 3
    assert result.stdout == ""  # --quiet
    assert result.stderr.count("bad JSON") == 20
    assert "and 10 more rejected" in result.stderr


def test_unknown_format_is_one_line_exit_2_nothing_written(db: Engine, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n")
    rejects = tmp_path / "rejects.jsonl"
    before = dump(db)
    result = runner.invoke(app, ["import", str(HEAD200), str(notes), "--rejects", str(rejects)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{notes}: not a known format" in lines[0]
    assert "Traceback" not in result.output
    assert dump(db) == before and papers(db) == 0
    assert not rejects.exists()


def test_missing_file_exit_1(db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "nope.jsonl: no such file" in result.stderr
    assert "Traceback" not in result.output


def test_gzip_by_magic_bytes_and_stdin(db: Engine, tmp_path: Path) -> None:
    packed = tmp_path / "snapshot.data"  # no .gz suffix: the magic bytes decide
    packed.write_bytes(gzip.compress(HEAD200.read_bytes()))
    result = runner.invoke(app, ["import", str(packed)])
    assert result.exit_code == 0, result.output
    assert "200 added" in result.stdout
    piped = runner.invoke(app, ["import", "-"], input=gzip.compress(OLDSTYLE.read_bytes()))
    assert piped.exit_code == 0, piped.output
    assert "1 added" in piped.stdout
    plain = runner.invoke(app, ["import", "-", "--format", "snapshot"], input=OLDSTYLE.read_bytes())
    assert plain.exit_code == 0
    assert "1 unchanged" in plain.stdout
    assert papers(db) == 201


def test_stdin_location_in_rejects(db: Engine) -> None:
    result = runner.invoke(app, ["import", "-"], input=OLDSTYLE.read_bytes() + b"[1]\n")
    assert result.exit_code == 3
    assert "<stdin>:2: not a JSON object" in result.stderr


def hf_daily(tmp_path: Path) -> Path:
    """A daily-papers response in the documented /api/daily_papers shape (our own data)."""
    items = [
        {
            "paper": {
                "id": arxiv_id, "title": title, "summary": "An abstract.",
                "authors": [{"_id": "a1", "name": "Ann Author", "hidden": False}],
                "publishedAt": "2024-10-24T10:00:00.000Z", "upvotes": votes,
                "discussionId": "d1", "submittedOnDailyAt": "2024-10-25T08:00:00.000Z",
            },
            "publishedAt": "2024-10-25T08:00:00.000Z", "title": title, "summary": "An abstract.",
            "numComments": 0, "thumbnail": "",
            "submittedBy": {"_id": "u1", "user": "ann", "fullname": "Ann", "avatarUrl": "",
                            "isPro": False, "type": "user"},
        }
        for arxiv_id, title, votes in [("2410.18057", "First", 12), ("2410.17000", "Second", 3)]
    ]
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items))
    return path


def test_every_format_is_detected_and_imported(db: Engine, tmp_path: Path) -> None:
    files = {
        "arxiv-atom": FIXTURES / "arxiv_api_2026_idlist_1605.08386.xml",
        "oai-pmh": FIXTURES / "arxiv_oai_2017-12-14_ListRecords_arXiv_hep-ex_3records.xml",
        "arxiv-rss": FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml",
        "snapshot": OLDSTYLE,
        "hf-daily": hf_daily(tmp_path),
    }
    expected = {"arxiv-atom": 1, "oai-pmh": 3, "arxiv-rss": 1504, "snapshot": 1, "hf-daily": 2}
    total = 0
    for fmt, path in files.items():
        result = runner.invoke(app, ["import", str(path)])
        assert result.exit_code == 0, (fmt, result.output)
        assert f"{expected[fmt]:,} added" in result.stdout, (fmt, result.stdout)
        total += expected[fmt]
    assert papers(db) == total
    assert count(db, "SELECT count(*) FROM daily_entries WHERE source = 'import'") == 2


def test_error_feed_is_exit_1_with_the_sources_message(db: Engine) -> None:
    feed = FIXTURES / "arxiv_api_2026_error_http400_bad_id.xml"
    result = runner.invoke(app, ["import", str(feed)])
    assert result.exit_code == 1
    assert "incorrect id format for abc" in result.stderr
    assert "Traceback" not in result.output
    assert papers(db) == 0


def test_feature_command(db: Engine) -> None:
    runner.invoke(app, ["import", str(HEAD200)])
    ok = runner.invoke(app, ["feature", "2024-10-25", "0704.0001", "arXiv:0704.0002v2"])
    assert ok.exit_code == 0, ok.output
    assert "added to 2024-10-25: 0704.0001, 0704.0002" in ok.stdout
    again = runner.invoke(app, ["feature", "2024-10-25",
                                "https://arxiv.org/abs/0704.0001", "2501.99999"])
    assert again.exit_code == 1
    assert "already on 2024-10-25: 0704.0001" in again.stdout
    assert "not in the database: 2501.99999" in again.stderr
    bad_day = runner.invoke(app, ["feature", "25/10/2024", "0704.0001"])
    assert bad_day.exit_code == 2
    assert count(db, "SELECT count(*) FROM daily_entries") == 2


def test_an_overlong_line_is_rejected_and_the_rest_imported(db: Engine, tmp_path: Path) -> None:
    from paperfeed.sources.snapshot import MAX_LINE_BYTES

    lines = HEAD200.read_bytes().splitlines(keepends=True)
    huge = b'{"id": "0705.0001", "title": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n'
    src = tmp_path / "huge.jsonl"
    src.write_bytes(lines[0] + huge + lines[1])
    result = runner.invoke(app, ["import", str(src)])
    assert result.exit_code == 3, result.output
    assert f"{src}:2: line too long" in result.stderr
    assert "2 added" in result.stdout
    assert papers(db) == 2
