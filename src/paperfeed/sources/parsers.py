"""The whole-document parsers by format name (as ``paperfeed import --format`` names
them). Each is ``parse(data: bytes, source: str) -> Parsed``; the snapshot, which is
streamed line by line, lives in :mod:`paperfeed.sources.snapshot` instead."""

from __future__ import annotations

from collections.abc import Callable

from paperfeed.sources import arxiv_atom, arxiv_rss, hf_daily, oai_pmh
from paperfeed.sources.base import Parsed

Parser = Callable[[bytes, str], Parsed]

PARSERS: dict[str, Parser] = {
    "arxiv-atom": arxiv_atom.parse,
    "oai-pmh": oai_pmh.parse,
    "arxiv-rss": arxiv_rss.parse,
    "hf-daily": hf_daily.parse,
}


def parser_for(fmt: str) -> Parser | None:
    return PARSERS.get(fmt)
