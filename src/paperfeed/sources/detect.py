"""Tell the source format of a file from its first bytes (about a kilobyte)."""

from __future__ import annotations

import re

from paperfeed.sources.parsers import FORMATS

__all__ = ["FORMATS", "detect_format"]

_XML_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")
_SKIP = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL)
_JSON_KEY = re.compile(rb'^\s*\{\s*"([^"\\]{1,40})"')


def _xml_root(head: bytes) -> bytes | None:
    pos = 0
    while True:
        m = _SKIP.match(head, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    m = _XML_ROOT.match(head, pos)
    return m.group(1) if m else None


def detect_format(head: bytes) -> str | None:
    """One of :data:`FORMATS`, or None when the bytes look like none of them.

    ``head`` is the start of the (decompressed) file; the first KB is plenty.
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return None
    if text[:1] == b"<":
        root = _xml_root(text)
        if root == b"OAI-PMH":
            return "oai-pmh"
        if root == b"feed" and b"http://www.w3.org/2005/Atom" in text:
            return "arxiv-atom"
        if root == b"rss":
            return "arxiv-rss"
        return None
    if text[:1] == b"[":
        rest = text[1:].lstrip()
        # A daily-papers array: objects with a "paper" (or an empty list).
        if rest[:1] == b"]" or (rest[:1] == b"{" and b'"paper"' in text):
            return "hf-daily"
        return None
    if text[:1] == b"{":
        first_line = text.split(b"\n", 1)[0]
        m = _JSON_KEY.match(first_line)
        if m and m.group(1) == b"id" and (
            b'"categories"' in first_line or b'"authors_parsed"' in first_line
            or b'"submitter"' in first_line or b'"versions"' in first_line
        ):
            return "snapshot"
        # Truncated heads: a long first line may not show more than the id and title.
        if m and m.group(1) == b"id" and b'"title"' in first_line and b"\n" not in text:
            return "snapshot"
    return None
