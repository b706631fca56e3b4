#!/usr/bin/env python3
"""Build the bundled demo papers (src/paperfeed/demo/data/papers.jsonl) from a real arXiv
RSS listing (parsed by paperfeed.sources.arxiv_rss). Run once by a developer; the package
only reads the output.

    .venv/bin/python scripts/build_demo_data.py PATH/arxiv_rss_2024-11-28_all_archives_1504items.xml

arXiv metadata is CC0 (https://arxiv.org/help/license). The selection is deterministic:
quotas per subject area, taken in listing order, a few papers with LaTeX in the title
first, and a few replaced (v2+) papers for variety.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from paperfeed.records import PaperRecord
from paperfeed.sources import arxiv_rss

OUT = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "demo" / "data" / "papers.jsonl"

# Papers per subject area (by primary category); the total is about 250.
QUOTAS: dict[str, int] = {
    "cs.LG": 35, "cs.CL": 30, "cs.CV": 35, "cs.AI": 14, "cs": 28, "stat": 10, "math": 34,
    "quant-ph": 10, "hep": 12, "gr-qc": 5, "astro-ph": 12, "cond-mat": 12, "physics": 6,
    "eess": 5, "q-bio": 3, "q-fin": 2, "econ": 2,
}
LATEX_TITLES = 12  # papers with $…$ in the title, chosen first
REPLACED = 12  # v2+ papers (announce type "replace")

def to_json(rec: PaperRecord) -> dict[str, Any]:
    """A parsed record as canonical paper JSON (the keys of `paperfeed show --json`)."""
    # A new paper's latest version is v1: it was last updated when it was published.
    updated = rec.updated or rec.published
    return {
        "id": rec.id,
        "version": rec.version or 1,
        "title": rec.title,
        "abstract": rec.abstract,
        "authors": rec.authors,
        "primary_category": rec.primary_category,
        "categories": rec.categories,
        # The listing's announcement date for first versions; replacements carry no v1 date.
        "published": rec.published.isoformat() if rec.published else None,
        "updated": updated.isoformat() if updated else None,
        "comments": rec.arxiv_comment,
        "journal_ref": rec.journal_ref,
        "doi": rec.doi,
        "license": rec.license,
        "withdrawn": rec.withdrawn,
        "upvotes": 0,
        "_announce": rec.announce_type,
    }


def group_of(category: str | None) -> str:
    if category is None:
        return "?"
    if category in QUOTAS:
        return category
    prefix = category.split(".")[0]
    if prefix.startswith("hep"):
        return "hep"
    return prefix if prefix in QUOTAS else "physics" if prefix in ("nlin", "nucl-th",
                                                                    "nucl-ex", "math-ph") else "?"


def select(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    taken: Counter[str] = Counter()

    def take(p: dict[str, Any]) -> None:
        chosen[p["id"]] = p
        taken[group_of(p["primary_category"])] += 1

    fresh = [p for p in papers if p["_announce"] in ("new", "cross") and p["authors"]]
    for p in [p for p in fresh if "$" in p["title"]][:LATEX_TITLES]:
        take(p)
    for p in fresh:
        group = group_of(p["primary_category"])
        if p["id"] not in chosen and taken[group] < QUOTAS.get(group, 0):
            take(p)
    replaced = [p for p in papers if p["_announce"] == "replace" and p["authors"]]
    for p in replaced[:: max(1, len(replaced) // REPLACED)][:REPLACED]:
        if p["id"] not in chosen:
            take(p)
    return sorted(chosen.values(), key=lambda p: p["id"])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    parsed = arxiv_rss.parse(Path(argv[1]).read_bytes(), argv[1])
    papers = [to_json(rec) for rec in parsed.records]
    selected = select(papers)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        for p in selected:
            p.pop("_announce")
            fh.write(json.dumps(p, ensure_ascii=False, sort_keys=False) + "\n")
    groups = Counter(group_of(p["primary_category"]) for p in selected)
    latex = sum(1 for p in selected if "$" in p["title"] or "$" in p["abstract"])
    print(f"wrote {len(selected)} papers to {OUT} ({latex} with LaTeX)")
    print(", ".join(f"{g} {n}" for g, n in groups.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
