"""Safe XML parsing for every XML source: no entities, no DTDs, no network.

Real arXiv responses never carry a DOCTYPE, so any document that declares one is
refused outright; this shuts out XXE (external entities, which could read local
files or make the parser fetch URLs) and entity-expansion bombs ("billion laughs").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, cast

from lxml import etree

from paperfeed.sources.errors import MalformedResponse, SourceError
from paperfeed.text import fold


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_DOCTYPE = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<!DOCTYPE", re.DOTALL)


def parse_xml(data: bytes, source: str) -> etree._Element:
    """The root element, or SourceError (MalformedResponse when not well-formed)."""
    if not data or not data.strip():
        raise MalformedResponse(f"{source}: empty response")
    if _DOCTYPE.match(data[:4096].removeprefix(b"\xef\xbb\xbf")):
        raise SourceError(f"{source}: XML with a DOCTYPE declaration is refused (unsafe)")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "not well-formed"
        msg = msg.removesuffix(f" (<string>, line {exc.lineno})")  # lxml's own location
        raise MalformedResponse(f"{source}: not well-formed XML ({msg})") from None
    except ValueError as exc:  # e.g. unsupported encoding declarations
        raise MalformedResponse(f"{source}: unreadable XML ({exc})") from None
    if root is None:
        raise MalformedResponse(f"{source}: no root element")
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SourceError(f"{source}: XML with a DOCTYPE declaration is refused (unsafe)")
    return root


def text_of(el: etree._Element | None) -> str:
    """The element's whole text (children included), folded; '' for None."""
    if el is None:
        return ""
    return fold("".join(cast(Iterator[str], el.itertext())))


def raw_text(el: etree._Element | None) -> str:
    """The element's whole text, unfolded and stripped."""
    if el is None:
        return ""
    return "".join(cast(Iterator[str], el.itertext())).strip()


def parse_iso_datetime(text: str | None) -> datetime | None:
    """``2006-01-02T14:57:58Z`` (or with an offset, or a bare date) -> naive UTC; None when
    missing or malformed."""
    if not text:
        return None
    s = text.strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_iso_date(text: str | None) -> date | None:
    dt = parse_iso_datetime(text)
    return dt.date() if dt is not None else None


def element_snippet(el: etree._Element, limit: int = 200_000) -> str:
    """The element serialised, shortened, for rejected-record reports."""
    try:
        raw = etree.tostring(el, encoding="unicode", with_tail=False)
    except (ValueError, TypeError):  # pragma: no cover - lxml refuses odd trees
        return ""
    return raw if len(raw) <= limit else raw[:limit] + "…"
