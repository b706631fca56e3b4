"""The public arXiv metadata snapshot (JSON lines, one paper a line, millions of lines).

Streaming and pure: :func:`iter_snapshot` turns lines (bytes) into PaperRecords, and
every bad line (bad JSON, bad UTF-8, missing id or title, malformed id, overlong line)
into a RejectedRecord located as ``source:line``. Nothing is kept between lines.

Field mapping:
- authors from ``authors_parsed`` (``[last, first, suffix]`` -> "First Last Suffix",
  Unicode); the TeX-escaped ``authors`` string only when ``authors_parsed`` is missing;
- ``versions``: v1's date is ``published``, the latest version is ``version`` and its
  date ``updated`` (``update_date`` when there are no versions);
- ``categories`` split on spaces, the first (primary) kept first;
- ``comments`` (the authors' note) is ``arxiv_comment``; withdrawn when it says so
  ("This paper has been withdrawn ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from itertools import pairwise

import orjson

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord, RejectedRecord, VersionRecord
from paperfeed.text import fold

# A line longer than this is rejected without parsing (real lines are < 1 MB).
MAX_LINE_BYTES = 16 * 1024 * 1024

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_NEW_ID = re.compile(r"[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5}")
_WITHDRAWN = re.compile(
    r"^\W*withdrawn\b|\b(?:has|have) been withdrawn\b|\b(?:is|was|being) withdrawn\b"
    r"|\b(?:paper|article|manuscript|submission|preprint) withdrawn\b",
    re.IGNORECASE,
)
_TEX_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303",
                "c": "\u0327", "v": "\u030c", "=": "\u0304", "u": "\u0306", "H": "\u030b"}
_TEX_ACCENT_RE = re.compile(r"""\\([`'"^~=]|[cvuH](?=[\s{]))\s*\{?\\?([A-Za-z])\}?""")
_TEX_LETTERS = {r"\o": "ø", r"\O": "Ø", r"\ss": "ß", r"\ae": "æ", r"\AE": "Æ", r"\aa": "å",
                r"\AA": "Å", r"\l": "ł", r"\L": "Ł", r"\i": "ı"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# JSON strings can only carry control characters as escapes (or a raw DEL byte).
_CONTROL_ESCAPE = re.compile(rb"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bf])")


def _fold_clean(text: str | None) -> str:
    """:func:`paperfeed.text.fold` for text known to hold no control characters."""
    return " ".join(text.split()) if text else ""


def _fold_any(text: str | None) -> str:
    """Same result as :func:`paperfeed.text.fold`, several times faster on long text."""
    if not text:
        return ""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def parse_version_date(text: str) -> datetime | None:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` -> naive UTC datetime; None when malformed."""
    try:
        _dow, day, mon, year, hms = text.split()[:5]
        h, m, s = hms.split(":")
        # The dates are GMT and stored as naive UTC, like every DateTime column; built
        # naive directly (this runs for every version of every paper in a snapshot).
        return datetime(int(year), _MONTHS[mon], int(day), int(h), int(m), int(s))  # noqa: DTZ001
    except (ValueError, KeyError):
        return None


def is_withdrawn(arxiv_comment: str | None) -> bool:
    text = arxiv_comment
    if not text or ("ithdrawn" not in text and "ITHDRAWN" not in text):
        return False
    return _WITHDRAWN.search(text) is not None


def detex_name(name: str) -> str:
    """Best-effort Unicode for a TeX-escaped author name (``Bal\\'azs`` -> ``Balázs``)."""
    import unicodedata

    if "\\" not in name:
        return name.replace("{", "").replace("}", "")
    out = _TEX_ACCENT_RE.sub(lambda m: m.group(2) + _TEX_ACCENTS[m.group(1)], name)
    for tex, letter in _TEX_LETTERS.items():
        out = re.sub(re.escape(tex) + r"(?![A-Za-z])\s*(?:\{\})?", letter, out)
    return unicodedata.normalize("NFC", out.replace("{", "").replace("}", ""))


def split_authors(authors: str) -> list[str]:
    """The snapshot's ``authors`` string: comma- and "and"-separated, TeX-escaped."""
    text = fold(re.sub(r"\([^()]*\)", " ", authors))  # drop affiliations in parentheses
    parts = re.split(r",\s*|\s+and\s+", text)
    return [detex_name(p).strip() for p in parts if p.strip()]


def _authors(obj: dict, _fold: Callable[[str | None], str]) -> list[str]:  # type: ignore[type-arg]
    parsed = obj.get("authors_parsed")
    if parsed:
        try:
            # [last, first, suffix] -> "first last suffix"
            names = [_fold(f"{e[1]} {e[0]} {e[2]}") for e in parsed]
        except IndexError:
            names = [_fold(" ".join(e[1:2] + e[:1] + e[2:3])) for e in parsed]
        return [n for n in names if n]
    raw = obj.get("authors")
    return split_authors(raw) if raw else []


def _categories(raw: str | None) -> list[str]:
    if not raw:
        return []
    seen: list[str] = []
    for cat in raw.split():
        if cat not in seen:
            seen.append(cat)
    return seen


def _canonical(raw_id: object) -> tuple[str, int | None]:
    if not isinstance(raw_id, str):
        raise InvalidArxivId(f"bad id {raw_id!r}")
    if _NEW_ID.fullmatch(raw_id) and (len(raw_id) == 10) == (raw_id[:4] >= "1501"):
        return raw_id, None  # the common case, without the general parser
    parsed = parse_arxiv_id(raw_id)
    return parsed.id, parsed.version


def record_from_json(
    obj: dict,  # type: ignore[type-arg]
    location: str,
    *,
    clean: bool = False,
) -> PaperRecord:
    """One decoded snapshot object -> PaperRecord. Raises ValueError with a reason.

    ``clean``: the caller knows no string holds a control character (faster folding).
    """
    _fold = _fold_clean if clean else _fold_any
    raw_id = obj.get("id")
    if not raw_id:
        raise ValueError("missing id")
    try:
        arxiv_id, id_version = _canonical(raw_id)
    except InvalidArxivId:
        raise ValueError(f"bad arXiv id {str(raw_id)[:80]!r}") from None
    title = _fold(obj.get("title"))
    if not title:
        raise ValueError(f"{arxiv_id}: missing title")
    versions: list[VersionRecord] = []
    for v in obj.get("versions") or ():
        label = v.get("version") or ""
        if label[:1] == "v" and label[1:].isdigit():
            created = v.get("created")
            versions.append(
                VersionRecord(int(label[1:]), parse_version_date(created) if created else None)
            )
    if any(a.version > b.version for a, b in pairwise(versions)):
        versions.sort(key=lambda v: v.version)
    published = updated = None
    if versions:
        first, last = versions[0].submitted, versions[-1].submitted
        published = first.date() if first else None
        updated = last.date() if last else None
    if updated is None and obj.get("update_date"):
        try:
            updated = date.fromisoformat(obj["update_date"])
        except ValueError:
            updated = None
    version = versions[-1].version if versions else id_version
    categories = _categories(obj.get("categories"))
    arxiv_comment = _fold(obj.get("comments")) or None
    doi = obj.get("doi")
    return PaperRecord(
        id=arxiv_id,
        title=title,
        abstract=_fold(obj.get("abstract")),
        authors=_authors(obj, _fold),
        primary_category=categories[0] if categories else None,
        categories=categories,
        version=version,
        published=published,
        updated=updated,
        arxiv_comment=arxiv_comment,
        journal_ref=_fold(obj.get("journal-ref")) or None,
        doi=_fold(doi) or None if isinstance(doi, str) else None,
        license=_fold(obj.get("license")) or None,
        withdrawn=is_withdrawn(arxiv_comment),
        versions=versions,
        location=location,
    )


def parse_line(line: bytes, location: str) -> PaperRecord | RejectedRecord | None:
    """One line -> a record, a rejection, or None for a blank line."""
    if len(line) > MAX_LINE_BYTES:
        return RejectedRecord(location, f"line too long ({len(line):,} bytes)", _raw(line[:4096]))
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if not line.strip():
            return None
        reason = "bad UTF-8" if "UTF-8" in str(exc) else f"bad JSON ({exc})"
        return RejectedRecord(location, reason, _raw(line))
    if not isinstance(obj, dict):
        return RejectedRecord(location, "not a JSON object", _raw(line))
    try:
        clean = b"\x7f" not in line and _CONTROL_ESCAPE.search(line) is None
        return record_from_json(obj, location, clean=clean)
    except ValueError as exc:
        return RejectedRecord(location, str(exc), _raw(line))
    except (TypeError, AttributeError, KeyError, IndexError) as exc:
        return RejectedRecord(location, f"malformed record ({type(exc).__name__})", _raw(line))


def _raw(line: bytes) -> str:
    # surrogateescape keeps bad bytes, so a rejects file gets the line back byte for byte.
    return line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")


def iter_snapshot(
    lines: Iterable[bytes], source: str, *, first_line: int = 1
) -> Iterator[PaperRecord | RejectedRecord]:
    """Records and rejections, in file order; blank lines are skipped."""
    for lineno, line in enumerate(lines, first_line):
        item = parse_line(line, f"{source}:{lineno}")
        if item is not None:
            yield item
