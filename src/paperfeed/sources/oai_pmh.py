"""arXiv OAI-PMH (``ListRecords`` / ``GetRecord``) in the ``oai_dc``, ``arXiv`` and
``arXivRaw`` metadata formats.

Pure: :func:`parse` turns one response into records plus the paging state
(``resumptionToken`` with ``completeListSize`` and ``cursor``, ``responseDate``).
OAI errors raise :class:`SourceError` with the OAI code (``idDoesNotExist``,
``badResumptionToken``, ...), except ``noRecordsMatch``, which is an empty result.
Records whose header says ``status="deleted"`` are listed in ``deleted_ids`` (and
included as records with ``deleted=True``).

Per format:
- ``oai_dc``: creators are "Last, First" (turned into "First Last"); subjects are
  display names ("Computer Science - Machine Learning", mapped back to ``cs.LG``;
  MSC subjects are dropped); the first description is the abstract, a
  "Comment: ..." one the arXiv comment; the first date is v1's, the last the latest
  version's; ``dc:identifier`` holds the journal ref and ``doi:...``. No version.
- ``arXiv``: ``created``/``updated`` (dates only), ``keyname``/``forenames``
  authors, space-separated ``categories`` (primary first). No version number.
- ``arXivRaw``: every ``<version version="vN">`` with its date and size, so the
  latest version is known; ``<authors>`` is one TeX-escaped string.
"""

from __future__ import annotations

import re

from lxml import etree

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord, RejectedRecord, VersionRecord
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from paperfeed.sources.snapshot import is_withdrawn, parse_version_date, split_authors
from paperfeed.sources.taxonomy import category_from_subject, clean_categories
from paperfeed.sources.xml import (
    element_snippet,
    parse_iso_date,
    parse_iso_datetime,
    parse_xml,
    text_of,
)
from paperfeed.text import fold, fold_or_none

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
ARXIV = "http://arxiv.org/OAI/arXiv/"
ARXIV_RAW = "http://arxiv.org/OAI/arXivRaw/"

_O = f"{{{OAI}}}"
_D = f"{{{DC}}}"
_X = f"{{{ARXIV}}}"
_R = f"{{{ARXIV_RAW}}}"

# Codes that mean "nothing to list", not a failure.
EMPTY_CODES = frozenset({"noRecordsMatch"})


def _int_attr(el: etree._Element, name: str) -> int | None:
    value = el.get(name)
    try:
        return int(value) if value is not None and value.strip() else None
    except ValueError:
        return None


def _name_from_dc(creator: str) -> str:
    """``Miller, Steven J.`` -> ``Steven J. Miller``; names without a comma unchanged."""
    name = fold(creator)
    if "," not in name:
        return name
    last, _, rest = name.partition(",")
    rest = rest.strip()
    return f"{rest} {last.strip()}".strip() if rest else last.strip()


def _split_categories(text: str) -> list[str]:
    return clean_categories(text.split())


def _oai_dc(meta: etree._Element, arxiv_id: str, version: int | None, location: str) -> PaperRecord:
    title = text_of(meta.find(f"{_D}title"))
    authors = [n for c in meta.findall(f"{_D}creator") if (n := _name_from_dc(text_of(c)))]
    cats: list[str] = []
    for s in meta.findall(f"{_D}subject"):
        code = category_from_subject(text_of(s))
        if code and code not in cats:
            cats.append(code)
    abstract = ""
    arxiv_comment = None
    for d in meta.findall(f"{_D}description"):
        text = text_of(d)
        if text.startswith("Comment:"):
            arxiv_comment = fold_or_none(text.removeprefix("Comment:"))
        elif not abstract:
            abstract = text
    dates = [day for e in meta.findall(f"{_D}date") if (day := parse_iso_date(text_of(e)))]
    doi = None
    journal_ref = None
    for el in meta.findall(f"{_D}identifier"):
        ident = text_of(el)
        if ident.lower().startswith("doi:"):
            doi = fold_or_none(ident[4:])
        elif ident and not ident.startswith(("http://", "https://")):
            journal_ref = ident
    license_ = fold_or_none(text_of(meta.find(f"{_D}rights")))
    return PaperRecord(
        id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=authors,
        primary_category=cats[0] if cats else None,
        categories=cats,
        version=version,
        published=dates[0] if dates else None,
        updated=dates[-1] if len(dates) > 1 else None,
        arxiv_comment=arxiv_comment,
        journal_ref=journal_ref,
        doi=doi,
        license=license_,
        withdrawn=is_withdrawn(arxiv_comment),
        location=location,
    )


def _arxiv(meta: etree._Element, arxiv_id: str, version: int | None, location: str) -> PaperRecord:
    authors = []
    for a in meta.findall(f"{_X}authors/{_X}author"):
        parts = [text_of(a.find(f"{_X}{p}")) for p in ("forenames", "keyname", "suffix")]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    cats = _split_categories(text_of(meta.find(f"{_X}categories")))
    arxiv_comment = fold_or_none(text_of(meta.find(f"{_X}comments")))
    created = parse_iso_datetime(text_of(meta.find(f"{_X}created")))
    updated = parse_iso_date(text_of(meta.find(f"{_X}updated")))
    return PaperRecord(
        id=arxiv_id,
        title=text_of(meta.find(f"{_X}title")),
        abstract=text_of(meta.find(f"{_X}abstract")),
        authors=authors,
        primary_category=cats[0] if cats else None,
        categories=cats,
        version=version,
        published=created.date() if created else None,
        updated=updated,
        arxiv_comment=arxiv_comment,
        journal_ref=fold_or_none(text_of(meta.find(f"{_X}journal-ref"))),
        doi=fold_or_none(text_of(meta.find(f"{_X}doi"))),
        license=fold_or_none(text_of(meta.find(f"{_X}license"))),
        withdrawn=is_withdrawn(arxiv_comment),
        location=location,
    )


_VERSION_ATTR = re.compile(r"^v?([0-9]+)$")


def _arxiv_raw(
    meta: etree._Element, arxiv_id: str, version: int | None, location: str
) -> PaperRecord:
    versions: list[VersionRecord] = []
    for v in meta.findall(f"{_R}version"):
        m = _VERSION_ATTR.match((v.get("version") or "").strip())
        if not m or int(m.group(1)) < 1:
            continue
        submitted = parse_version_date(text_of(v.find(f"{_R}date")))
        versions.append(
            VersionRecord(int(m.group(1)), submitted, fold_or_none(text_of(v.find(f"{_R}size"))))
        )
    versions.sort(key=lambda v: v.version)
    latest = versions[-1] if versions else None
    first = versions[0] if versions and versions[0].version == 1 else None
    cats = _split_categories(text_of(meta.find(f"{_R}categories")))
    arxiv_comment = fold_or_none(text_of(meta.find(f"{_R}comments")))
    return PaperRecord(
        id=arxiv_id,
        title=text_of(meta.find(f"{_R}title")),
        abstract=text_of(meta.find(f"{_R}abstract")),
        authors=split_authors(text_of(meta.find(f"{_R}authors"))),
        primary_category=cats[0] if cats else None,
        categories=cats,
        version=latest.version if latest else version,
        published=first.submitted.date() if first and first.submitted else None,
        updated=latest.submitted.date() if latest and latest.submitted else None,
        arxiv_comment=arxiv_comment,
        journal_ref=fold_or_none(text_of(meta.find(f"{_R}journal-ref"))),
        doi=fold_or_none(text_of(meta.find(f"{_R}doi"))),
        license=fold_or_none(text_of(meta.find(f"{_R}license"))),
        withdrawn=is_withdrawn(arxiv_comment),
        versions=versions,
        location=location,
    )


_FORMATS = {
    f"{{{OAI_DC}}}dc": _oai_dc,
    f"{_X}arXiv": _arxiv,
    f"{_R}arXivRaw": _arxiv_raw,
}


def parse_record(record: etree._Element, source: str, index: int) -> PaperRecord | RejectedRecord:
    """One ``<record>``: a record (``deleted=True`` for deleted ones) or a rejection."""
    header = record.find(f"{_O}header")
    identifier = text_of(header.find(f"{_O}identifier")) if header is not None else ""
    location = f"{source}:record {index}" + (f" ({identifier})" if identifier else "")
    if header is None or not identifier:
        return RejectedRecord(location, "record has no header identifier", element_snippet(record))
    try:
        aid = parse_arxiv_id(identifier)
    except InvalidArxivId as exc:
        return RejectedRecord(location, str(exc), element_snippet(record))
    if header.get("status") == "deleted":
        return PaperRecord(id=aid.id, title="", deleted=True, location=location)
    metadata = record.find(f"{_O}metadata")
    meta = next(iter(metadata), None) if metadata is not None else None
    if meta is None or not isinstance(meta.tag, str):
        return RejectedRecord(location, "record has no metadata", element_snippet(record))
    handler = _FORMATS.get(meta.tag)
    if handler is None:
        fmt = etree.QName(meta).localname
        return RejectedRecord(location, f"unsupported metadata format <{fmt}>")
    rec = handler(meta, aid.id, aid.version, location)
    if not rec.title:
        return RejectedRecord(location, "record has no title", element_snippet(record))
    return rec


def parse(data: bytes, source: str = "<input>") -> Parsed:
    """Parse one OAI-PMH response. Raises :class:`SourceError` for OAI errors (except
    ``noRecordsMatch``, an empty result) and for bodies that are not OAI-PMH."""
    root = parse_xml(data, source)
    if root.tag != f"{_O}OAI-PMH":
        raise SourceError(
            f"{source}: not an OAI-PMH response (root <{etree.QName(root).localname}>)"
        )
    out = Parsed(response_date=parse_iso_datetime(text_of(root.find(f"{_O}responseDate"))))
    errors = root.findall(f"{_O}error")
    if errors:
        codes = [e.get("code") or "unknown" for e in errors]
        if all(code in EMPTY_CODES for code in codes):
            out.complete_list_size = 0
            return out
        first = next(e for e in errors if (e.get("code") or "unknown") not in EMPTY_CODES)
        code = first.get("code") or "unknown"
        message = text_of(first) or "no message"
        raise SourceError(f"OAI-PMH error {code}: {message}", code=code)
    container = root.find(f"{_O}ListRecords")
    if container is None:
        container = root.find(f"{_O}GetRecord")
    if container is None:
        verbs = [etree.QName(c).localname for c in root if isinstance(c.tag, str)]
        raise SourceError(f"{source}: OAI-PMH response without records ({', '.join(verbs)})")
    for index, record in enumerate(container.findall(f"{_O}record"), 1):
        result = parse_record(record, source, index)
        if isinstance(result, RejectedRecord):
            out.rejected.append(result)
            continue
        out.records.append(result)
        if result.deleted:
            out.deleted_ids.append(result.id)
    token = container.find(f"{_O}resumptionToken")
    if token is not None:
        value = (token.text or "").strip()
        out.resumption_token = value or None
        out.complete_list_size = _int_attr(token, "completeListSize")
        out.cursor = _int_attr(token, "cursor")
    return out
