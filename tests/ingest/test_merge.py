"""How a record changes a stored paper (pure rules)."""

from __future__ import annotations

from datetime import date
from typing import Any

from paperfeed.ingest.merge import merged_values, new_values
from paperfeed.records import PaperRecord, VersionRecord


def rec(**kw: Any) -> PaperRecord:
    base: dict[str, Any] = dict(
        id="2401.00001", title="Title v1", abstract="Abstract v1", authors=["A"],
        categories=["cs.LG"], primary_category="cs.LG", version=1,
        published=date(2024, 1, 1), updated=date(2024, 1, 1),
    )
    base.update(kw)
    return PaperRecord(**base)


STORED = new_values(rec(version=2, title="Title v2", updated=date(2024, 2, 1),
                        doi="10.1/x", journal_ref="J. 1"))


def test_same_record_changes_nothing() -> None:
    assert merged_values(new_values(rec()), rec()) is None


def test_newer_version_replaces_text_and_keeps_optional_fields() -> None:
    out = merged_values(STORED, rec(version=3, title="Title v3", abstract="New",
                                    updated=date(2024, 3, 1), categories=["cs.AI", "cs.LG"],
                                    primary_category="cs.AI"))
    assert out is not None
    assert out["version"] == 3 and out["title"] == "Title v3" and out["abstract"] == "New"
    assert out["categories"] == ["cs.AI", "cs.LG"] and out["primary_category"] == "cs.AI"
    assert out["updated"] == date(2024, 3, 1)
    assert out["published"] == date(2024, 1, 1)
    assert out["doi"] == "10.1/x" and out["journal_ref"] == "J. 1"  # not blanked


def test_older_version_never_overwrites() -> None:
    assert merged_values(STORED, rec(version=1, title="Old title", doi="10.9/other")) is None


def test_versions_list_gives_the_version_when_the_record_has_none() -> None:
    older = rec(version=None, versions=[VersionRecord(1)], title="Old")
    assert merged_values(STORED, older) is None


def test_same_version_metadata_correction_updates() -> None:
    out = merged_values(STORED, rec(version=2, title="Title v2", updated=date(2024, 2, 1),
                                    journal_ref="J. 2"))
    assert out is not None and out["journal_ref"] == "J. 2" and out["version"] == 2


def test_versionless_record_only_fills_blanks_and_sets_upvotes() -> None:
    stored = new_values(rec(abstract=""))
    hf = rec(version=None, title="HF title", abstract="From HF", upstream_upvotes=42,
             published=date(2030, 1, 1))
    out = merged_values(stored, hf)
    assert out is not None
    assert out["title"] == "Title v1"  # kept
    assert out["abstract"] == "From HF"  # was empty
    assert out["published"] == date(2024, 1, 1)  # kept
    assert out["upstream_upvotes"] == 42
    assert merged_values({**stored, **out}, hf) is None


def test_withdrawn_follows_the_latest_version() -> None:
    withdrawn = merged_values(STORED, rec(version=3, withdrawn=True))
    assert withdrawn is not None and withdrawn["withdrawn"] is True
    stored = {**STORED, **withdrawn}
    # The same version from a source that does not know about withdrawal keeps the flag.
    assert merged_values(stored, rec(version=3, withdrawn=False)) is None
    # A later resubmission clears it.
    again = merged_values(stored, rec(version=4))
    assert again is not None and again["withdrawn"] is False
