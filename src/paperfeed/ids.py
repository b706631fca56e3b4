"""arXiv identifiers in every form people paste, reduced to (canonical id, version).

New style: ``2401.01234`` (``YYMM.NNNN`` before 2015, ``YYMM.NNNNN`` since).
Old style: ``hep-th/9901001`` (archive, optional ``.SUBJ`` class, ``YYMMNNN``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_NEW = r"(?P<new>[0-9]{4}\.[0-9]{4,5})"
_OLD = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subj>[A-Za-z]{2}))?/(?P<num>[0-9]{7}))"
_VERSION = r"(?:v(?P<version>[0-9]+))?"
_ID_RE = re.compile(rf"^(?:{_NEW}|{_OLD}){_VERSION}$")
_PREFIXES = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/", re.IGNORECASE
)


class ArxivId(NamedTuple):
    id: str
    version: int | None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


class InvalidArxivId(ValueError):
    pass


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any pasted form: ``arXiv:2401.01234v2``, abs/pdf URLs, ``hep-th/9901001v3``,
    ``math.GT/0309136``, ``oai:arXiv.org:…``. Raises :class:`InvalidArxivId`.

    >>> parse_arxiv_id("https://arxiv.org/pdf/2401.01234v2.pdf")
    ArxivId(id='2401.01234', version=2)
    >>> parse_arxiv_id("math.GT/0309136")
    ArxivId(id='math/0309136', version=None)
    """
    if not isinstance(text, str):
        raise InvalidArxivId("arXiv id must be text")
    s = unicodedata.normalize("NFKC", text).strip()
    if len(s) > 200:
        raise InvalidArxivId("arXiv id is too long")
    s = _PREFIXES.sub("", s)
    s = re.sub(r"^(?:oai:arxiv\.org:|arxiv:)", "", s, flags=re.IGNORECASE)
    s = s.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if s.lower().endswith(".pdf"):
        s = s[:-4]
    m = _ID_RE.match(s)
    if not m:
        raise InvalidArxivId(f"not an arXiv id: {text.strip()[:80]!r}")
    if m.group("new"):
        base = m.group("new")
        yymm = base.split(".")[0]
        if not 1 <= int(yymm[2:]) <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {yymm[2:]}): {text.strip()[:80]!r}")
        digits = len(base.split(".")[1])
        if (digits == 5) != (yymm >= "1501"):
            raise InvalidArxivId(f"not an arXiv id (wrong length for {yymm}): {text!r}")
    else:
        base = f"{m.group('archive')}/{m.group('num')}"
    version = int(m.group("version")) if m.group("version") else None
    if version is not None and version < 1:
        raise InvalidArxivId(f"not an arXiv version: {text!r}")
    return ArxivId(base, version)


def canonical_id(text: str) -> str:
    """The canonical id without version; raises :class:`InvalidArxivId`."""
    return parse_arxiv_id(text).id


def looks_like_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
