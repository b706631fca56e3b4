"""Harvest loops for the network sources: fetch a page, store it, save progress.

Each harvester takes an engine and a :class:`~paperfeed.sources.http.PoliteClient`
(which spaces and retries the requests), stores every page through
:func:`paperfeed.ingest.upsert.upsert_records`, and saves its progress in the
HarvestState table after each page:

- OAI-PMH: the resumption token (keyed on base URL, metadata format, set and the
  from/until dates); a rerun resumes from it; a clean finish clears it and records
  the date the listing was complete up to. A saved token the server no longer
  accepts (``badResumptionToken``) restarts the listing from the beginning.
- arXiv API: the ``start`` offset of the next page (keyed on base URL and query).
- RSS: the last announcement day stored per feed; a feed for the same day is not
  processed twice. Newly announced papers (``new``, ``cross``) matching the
  operator's rules go on that day's list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import Engine

from paperfeed.config import DailyRules
from paperfeed.ingest.report import IngestReport
from paperfeed.ingest.upsert import upsert_records
from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources import arxiv_atom, arxiv_rss, oai_pmh
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from paperfeed.sources.http import PoliteClient
from paperfeed.storage import harvest_state

ARXIV_API_URL = "https://export.arxiv.org/api/query"
OAI_URL = "https://oaipmh.arxiv.org/oai"
RSS_URL = "https://rss.arxiv.org/rss"
METADATA_PREFIXES = ("arXivRaw", "arXiv", "oai_dc")


PageCallback = Callable[[IngestReport], None]


def _store(engine: Engine, parsed: Parsed, report: IngestReport) -> None:
    rejects: list[RejectedRecord] = []
    imported = upsert_records(engine, parsed.records, on_reject=rejects.append)
    report.merge(imported)
    report.rejected += len(parsed.rejected)
    report.rejects.extend(parsed.rejected)
    report.rejects.extend(rejects)
    report.pages += 1


def _sync_retries(client: PoliteClient, report: IngestReport, before: int) -> None:
    report.retries += client.stats.retries - before


# -- OAI-PMH ----------------------------------------------------------------------------


def oai_state_key(
    base_url: str, prefix: str, set_spec: str | None, from_: date | None, until: date | None
) -> str:
    return " ".join(
        (
            base_url,
            prefix,
            set_spec or "*",
            from_.isoformat() if from_ else "*",
            until.isoformat() if until else "*",
        )
    )


def harvest_oai(
    engine: Engine,
    client: PoliteClient,
    *,
    base_url: str = OAI_URL,
    set_spec: str | None = None,
    from_: date | None = None,
    until: date | None = None,
    metadata_prefix: str = "arXivRaw",
    restart: bool = False,
    on_page: PageCallback | None = None,
) -> IngestReport:
    """ListRecords from ``from_`` to ``until`` (inclusive), following resumption tokens."""
    report = IngestReport()
    key = oai_state_key(base_url, metadata_prefix, set_spec, from_, until)
    saved = None if restart else harvest_state.load(engine, "oai", key)
    token: str | None = saved.get("token") if saved else None
    if token:
        report.resumed = True
        report.notes.append(f"resuming from saved resumption token {token!r}")
    first_params: dict[str, str | int] = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
    if set_spec:
        first_params["set"] = set_spec
    if from_:
        first_params["from"] = from_.isoformat()
    if until:
        first_params["until"] = until.isoformat()
    retried_token = False
    while True:
        params = {"verb": "ListRecords", "resumptionToken": token} if token else first_params
        before = client.stats.retries
        try:
            parsed = client.fetch(
                base_url, oai_pmh.parse, params, label=f"OAI page {report.pages + 1}"
            )
        except SourceError as exc:
            _sync_retries(client, report, before)
            if exc.code == "badResumptionToken" and report.resumed and not retried_token:
                # The saved token expired: list again from the start (the upsert is
                # idempotent, so nothing is stored twice).
                report.notes.append("saved resumption token expired; starting the listing again")
                retried_token = True
                token = None
                harvest_state.clear(engine, "oai", key)
                continue
            raise
        _sync_retries(client, report, before)
        _store(engine, parsed, report)
        token = parsed.resumption_token
        if token:
            harvest_state.save(
                engine,
                "oai",
                key,
                {
                    "token": token,
                    "cursor": parsed.cursor,
                    "size": parsed.complete_list_size,
                },
            )
        if on_page is not None:
            on_page(report)
        if not token:
            break
    done = until or (parsed.response_date.date() if parsed.response_date else None)
    harvest_state.clear(engine, "oai", key)
    if done is not None:
        harvest_state.save(
            engine,
            "oai-complete",
            oai_state_key(base_url, metadata_prefix, set_spec, None, None),
            {"until": done.isoformat()},
        )
    report.complete = True
    return report


def last_oai_until(engine: Engine, base_url: str, prefix: str, set_spec: str | None) -> date | None:
    """The date a previous complete OAI harvest of this set reached, if any."""
    saved = harvest_state.load(
        engine, "oai-complete", oai_state_key(base_url, prefix, set_spec, None, None)
    )
    try:
        return date.fromisoformat(saved["until"]) if saved else None
    except (KeyError, TypeError, ValueError):
        return None


# -- arXiv search API ---------------------------------------------------------------------


def category_query(categories: Iterable[str]) -> str:
    return " OR ".join(f"cat:{c}" for c in categories)


def harvest_arxiv_api(
    engine: Engine,
    client: PoliteClient,
    *,
    query: str,
    base_url: str = ARXIV_API_URL,
    max_results: int | None = None,
    page_size: int = 100,
    empty_page_retries: int = 3,
    restart: bool = False,
    on_page: PageCallback | None = None,
) -> IngestReport:
    """Page through a search (newest submissions first) until ``max_results`` papers or
    the end of the results."""
    report = IngestReport()
    key = f"{base_url} {query}"
    saved = None if restart else harvest_state.load(engine, "arxiv-api", key)
    start = origin = 0
    if saved and isinstance(saved.get("start"), int) and saved.get("max") == max_results:
        start, origin = saved["start"], int(saved.get("origin", 0))
        report.resumed = True
        report.notes.append(f"resuming at result {start}")
    empty_pages = 0
    while True:
        fetched = start - origin
        if max_results is not None and fetched >= max_results:
            break
        size = page_size if max_results is None else min(page_size, max_results - fetched)
        params: dict[str, str | int] = {
            "search_query": query,
            "start": start,
            "max_results": size,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        before = client.stats.retries
        try:
            parsed = client.fetch(
                base_url, arxiv_atom.parse, params, label=f"API results from {start}"
            )
        finally:
            _sync_retries(client, report, before)
        total = parsed.total_results
        if parsed.entries == 0:
            if total is not None and start < total and empty_pages < empty_page_retries:
                # arXiv sometimes answers a valid but empty page mid-listing: ask again.
                empty_pages += 1
                report.retries += 1
                report.notes.append(f"empty page at result {start} of {total}; asking again")
                client.pause()
                continue
            if total is not None and start < total:
                raise SourceError(
                    f"arXiv returned empty pages at result {start} of {total}; progress saved, "
                    "try again later",
                    retryable=True,
                )
            break
        empty_pages = 0
        _store(engine, parsed, report)
        start += parsed.entries
        harvest_state.save(
            engine, "arxiv-api", key, {"start": start, "origin": origin, "max": max_results}
        )
        if on_page is not None:
            on_page(report)
        if total is not None and start >= total:
            break
    harvest_state.clear(engine, "arxiv-api", key)
    report.complete = True
    return report


# -- RSS --------------------------------------------------------------------------------


def rss_url(base_url: str, categories: Iterable[str]) -> str:
    return base_url.rstrip("/") + "/" + "+".join(categories)


def newly_announced(records: Iterable[PaperRecord]) -> list[PaperRecord]:
    return [r for r in records if r.announce_type in ("new", "cross")]


def harvest_rss(
    engine: Engine,
    client: PoliteClient,
    *,
    categories: list[str],
    rules: DailyRules | None = None,
    base_url: str = RSS_URL,
    force: bool = False,
    on_page: PageCallback | None = None,
) -> IngestReport:
    """Fetch today's listing of ``categories``, store it, and put the new papers that
    match ``rules`` on the announcement day's list."""
    from paperfeed.ingest.daily import feature
    from paperfeed.ingest.rules import matching

    report = IngestReport()
    url = rss_url(base_url, categories)
    key = url
    before = client.stats.retries
    try:
        parsed = client.fetch(url, arxiv_rss.parse, label=f"RSS {'+'.join(categories)}")
    finally:
        _sync_retries(client, report, before)
    day = parsed.announce_day
    saved = harvest_state.load(engine, "rss", key)
    if not force and day is not None and saved and saved.get("day") == day.isoformat():
        report.notes.append(f"the listing of {day.isoformat()} was already harvested")
        report.complete = True
        return report
    _store(engine, parsed, report)
    if rules is not None and day is not None:
        chosen = matching(newly_announced(parsed.records), rules)
        if chosen:
            result = feature(engine, day, [r.id for r in chosen], source="rule")
            report.listed += len(result.added)
    if day is not None:
        harvest_state.save(engine, "rss", key, {"day": day.isoformat()})
    if on_page is not None:
        on_page(report)
    report.complete = True
    return report
