#!/usr/bin/env python3
"""Build the bundled demo papers (src/paperfeed/demo/data/papers.jsonl) from a real arXiv
RSS listing. Run once by a developer; the package only reads the output.

    python scripts/build_demo_data.py /path/to/arxiv_rss_2024-11-28_all_archives_1504items.xml

arXiv metadata is CC0 (https://arxiv.org/help/license). The selection is deterministic:
quotas per subject area, taken in listing order, a few papers with LaTeX in the title
first, and a few replaced (v2+) papers for variety.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from lxml import etree

OUT = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "demo" / "data" / "papers.jsonl"
NS = {
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}

# Papers per subject area (by primary category); the total is about 250.
QUOTAS: dict[str, int] = {
    "cs.LG": 35, "cs.CL": 30, "cs.CV": 35, "cs.AI": 14, "cs": 28, "stat": 10, "math": 34,
    "quant-ph": 10, "hep": 12, "gr-qc": 5, "astro-ph": 12, "cond-mat": 12, "physics": 6,
    "eess": 5, "q-bio": 3, "q-fin": 2, "econ": 2,
}
LATEX_TITLES = 12  # papers with $…$ in the title, chosen first
REPLACED = 12  # v2+ papers (announce type "replace")

_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "v": "\u030c", "u": "\u0306", "H": "\u030b", "c": "\u0327", "k": "\u0328",
}
_ACCENT_RE = re.compile(r"""\\([`'^"~=.vuHck])\s*(?:\{\\?([A-Za-z])\}|\\?([A-Za-z]))""")


def detex_name(name: str) -> str:
    """`V\\'aclav Vavry\\v{c}uk` -> `Václav Vavryčuk` (common accent commands only)."""
    import unicodedata

    def repl(m: re.Match[str]) -> str:
        letter = m.group(2) or m.group(3)
        letter = {"i": "i", "j": "j"}.get(letter, letter)
        return unicodedata.normalize("NFC", letter + _ACCENTS[m.group(1)])

    out = _ACCENT_RE.sub(repl, name)
    out = out.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", out).strip()


def split_authors(creator: str) -> list[str]:
    """Split 'A (Affil, X), B' at top-level commas and drop the affiliations."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in creator:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        if depth == 0 and ch != ")":
            current.append(ch)
    names.append("".join(current))
    cleaned = []
    for raw in names:
        name = detex_name(raw)
        name = re.sub(r"^and\s+", "", name)
        if name:
            cleaned.append(name)
    return cleaned


def fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def parse_item(item: Any) -> dict[str, Any] | None:
    desc = item.findtext("description") or ""
    head = re.match(r"\s*arXiv:(\S+?)v(\d+) Announce Type: (\S+)", desc)
    if not head:
        return None
    arxiv_id, version, announce = head.group(1), int(head.group(2)), head.group(3)
    abstract = desc.split("Abstract:", 1)[1] if "Abstract:" in desc else ""
    categories = [c.text.strip() for c in item.findall("category") if c.text]
    pub = item.findtext("pubDate")
    announced = parsedate_to_datetime(pub).date() if pub else date(2024, 11, 28)
    first = announce in ("new", "cross") and version == 1
    return {
        "id": arxiv_id,
        "version": version,
        "title": fold(item.findtext("title")),
        "abstract": fold(abstract),
        "authors": split_authors(item.findtext("dc:creator", namespaces=NS) or ""),
        "primary_category": categories[0] if categories else None,
        "categories": categories,
        # The listing's announcement date; for replacements the v1 date is not in the feed.
        "published": announced.isoformat() if first else None,
        "updated": announced.isoformat(),
        "comments": None,
        "journal_ref": fold(item.findtext("arxiv:journal_reference", namespaces=NS)) or None,
        "doi": fold(item.findtext("arxiv:DOI", namespaces=NS)) or None,
        "license": fold(item.findtext("dc:rights", namespaces=NS)) or None,
        "withdrawn": False,
        "upvotes": 0,
        "_announce": announce,
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
    root = etree.parse(argv[1], etree.XMLParser(resolve_entities=False, no_network=True))
    papers = [p for p in (parse_item(i) for i in root.iter("item")) if p is not None]
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
