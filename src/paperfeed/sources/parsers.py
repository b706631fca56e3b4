"""The one registry of source formats, by the names ``paperfeed import --format`` uses.

:data:`FORMATS` lists every format (the order is the one help texts show);
:data:`PARSERS` maps each whole-document format to its ``parse(data: bytes, source: str)
-> Parsed``. The snapshot is the one format not parsed whole: it is streamed line by line
by :func:`paperfeed.sources.snapshot.iter_snapshot`. :mod:`paperfeed.sources.detect`
tells a file's format from its first bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from paperfeed.sources import arxiv_atom, arxiv_rss, hf_daily, oai_pmh
from paperfeed.sources.base import Parsed

Parser = Callable[[bytes, str], Parsed]

FORMATS: tuple[str, ...] = ("arxiv-atom", "oai-pmh", "arxiv-rss", "snapshot", "hf-daily")
STREAMED: frozenset[str] = frozenset({"snapshot"})

PARSERS: dict[str, Parser] = {
    "arxiv-atom": arxiv_atom.parse,
    "oai-pmh": oai_pmh.parse,
    "arxiv-rss": arxiv_rss.parse,
    "hf-daily": hf_daily.parse,
}


def parser_for(fmt: str) -> Parser | None:
    """The whole-document parser of `fmt`; None for the streamed snapshot or an unknown name."""
    return PARSERS.get(fmt)
