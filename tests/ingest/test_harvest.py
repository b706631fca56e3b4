"""Harvests end to end against a real loopback server replaying recorded responses,
stored in a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.config import DailyRules
from paperfeed.ingest import harvest
from paperfeed.sources.errors import Forbidden, SourceError
from paperfeed.sources.http import PoliteClient
from paperfeed.storage import harvest_state
from paperfeed.storage.models import DailyEntry, HarvestState, Paper, PaperVersion
from tests.conftest import FIXTURES
from tests.sources.harvest_pages import (
    TOKEN,
    atom_ids,
    atom_page,
    oai_ids,
    oai_page1,
    oai_page2,
)
from tests.sources.replay import Reply, Request, serve

INTERVAL = 0.02
FROM = date(2024, 1, 25)


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(
        "paperfeed-tests/1.0", INTERVAL, backoff=0.02, retries=3, hosts=["127.0.0.1"]
    ) as c:
        yield c


def stored_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(Paper.arxiv_id)).scalars())


def paper_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Paper)) or 0)


def oai_key(url: str) -> str:
    return harvest.oai_state_key(url, "oai_dc", "cs", FROM, None)


class OaiServer:
    """Page 1 for the first request, page 2 for the token; faults on demand."""

    def __init__(self) -> None:
        self.first: list[Reply] = []  # served (in order) before page 1
        self.second: list[Reply] = []  # served before page 2
        self.token_down = False  # the server "goes away" after page 1

    def __call__(self, req: Request) -> Reply:
        if req.params.get("resumptionToken"):
            if self.token_down:
                return Reply(drop=True)
            if req.params["resumptionToken"] != TOKEN:
                return Reply(
                    body=(
                        b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                        b"<responseDate>2024-01-27T18:00:00Z</responseDate>"
                        b'<error code="badResumptionToken">expired</error></OAI-PMH>'
                    )
                )
            return self.second.pop(0) if self.second else Reply(body=oai_page2())
        assert req.params == {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "set": "cs",
            "from": "2024-01-25",
        }
        return self.first.pop(0) if self.first else Reply(body=oai_page1())


EXPECTED = sorted(oai_ids(oai_page1()) + oai_ids(oai_page2()))


def run_oai(engine: Engine, client: PoliteClient, url: str) -> harvest.IngestReport:
    return harvest.harvest_oai(
        engine, client, base_url=url, set_spec="cs", from_=FROM, metadata_prefix="oai_dc"
    )


def test_oai_follows_the_resumption_token_and_clears_it(
    engine: Engine, client: PoliteClient
) -> None:
    with serve(OaiServer()) as server:
        report = run_oai(engine, client, server.url)
    assert len(EXPECTED) == 15 and stored_ids(engine) == EXPECTED
    assert (report.pages, report.added, report.updated, report.rejected) == (2, 15, 0, 0)
    assert report.complete and not report.resumed
    # The second request carries only the verb and the token (OAI-PMH rule).
    assert server.requests[1].params == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert harvest_state.load(engine, "oai", oai_key(server.url)) is None
    assert harvest.last_oai_until(engine, server.url, "oai_dc", "cs") == date(2015, 4, 24)
    # A second run changes nothing.
    with serve(OaiServer()) as server:
        again = run_oai(engine, client, server.url)
    assert (again.added, again.unchanged) == (0, 15) and paper_count(engine) == 15


def test_oai_waits_retries_and_ends_with_every_record_once(
    engine: Engine, client: PoliteClient
) -> None:
    responder = OaiServer()
    responder.first = [
        Reply(status=503, body=b"", headers={"Retry-After": "1"}),
        Reply(status=500, body=b"internal error"),
        Reply(body=oai_page1()[:4000]),  # truncated XML
    ]
    # Throttled again on the token: the same token is sent again.
    responder.second = [Reply(status=503, headers={"Retry-After": "0"})]
    with serve(responder) as server:
        report = run_oai(engine, client, server.url)
    assert stored_ids(engine) == EXPECTED
    assert report.added == 15 and report.retries == 4 and report.pages == 2
    gaps = server.gaps()
    assert len(server.requests) == 6
    assert [r.params.get("resumptionToken") for r in server.requests[-2:]] == [TOKEN, TOKEN]
    assert gaps[0] >= 1.0  # Retry-After: 1 honoured
    assert min(gaps) >= INTERVAL


def test_interrupted_oai_harvest_resumes_from_the_saved_token(
    engine: Engine, client: PoliteClient
) -> None:
    responder = OaiServer()
    responder.token_down = True
    with serve(responder) as server:
        with pytest.raises(SourceError, match="giving up after 4 attempts: network error"):
            run_oai(engine, client, server.url)
        assert paper_count(engine) == 5
        saved = harvest_state.load(engine, "oai", oai_key(server.url))
        assert saved is not None and saved["token"] == TOKEN and saved["size"] == 1162
        # The server is back: a second run starts from the token, not from page 1.
        responder.token_down = False
        seen = len(server.requests)
        report = run_oai(engine, client, server.url)
        resumed_requests = server.requests[seen:]
    assert report.resumed and report.pages == 1 and report.added == 10
    assert [r.params.get("resumptionToken") for r in resumed_requests] == [TOKEN]
    assert stored_ids(engine) == EXPECTED
    assert harvest_state.load(engine, "oai", oai_key(server.url)) is None


def test_expired_saved_token_restarts_the_listing(engine: Engine, client: PoliteClient) -> None:
    with serve(OaiServer()) as server:
        harvest_state.save(engine, "oai", oai_key(server.url), {"token": "stale|1"})
        report = run_oai(engine, client, server.url)
    assert [r.params.get("resumptionToken") for r in server.requests] == [
        "stale|1",
        None,
        TOKEN,
    ]
    assert any("expired" in n for n in report.notes)
    assert stored_ids(engine) == EXPECTED


def test_403_stops_the_harvest(engine: Engine, client: PoliteClient) -> None:
    with (
        serve(lambda req: Reply(status=403, body=b"Forbidden")) as server,
        pytest.raises(Forbidden),
    ):
        run_oai(engine, client, server.url)
    assert len(server.requests) == 1 and paper_count(engine) == 0


# -- arXiv search API ---------------------------------------------------------------


class ApiServer:
    def __init__(self, total: int = 100) -> None:
        self.total = total
        self.empty_once_at: int | None = None
        self.down_from: int | None = None

    def __call__(self, req: Request) -> Reply:
        start, size = int(req.params["start"]), int(req.params["max_results"])
        assert req.params["search_query"] == "cat:cs.LG OR cat:stat.ML"
        if self.down_from is not None and start >= self.down_from:
            return Reply(status=502)
        if start == self.empty_once_at:
            self.empty_once_at = None
            return Reply(body=atom_page(start, 0, self.total))
        return Reply(body=atom_page(start, size, self.total))


QUERY = harvest.category_query(["cs.LG", "stat.ML"])


def test_api_pages_through_all_results(engine: Engine, client: PoliteClient) -> None:
    responder = ApiServer()
    responder.empty_once_at = 40  # a valid but empty page mid-listing is asked again
    with serve(responder) as server:
        report = harvest.harvest_arxiv_api(
            engine, client, query=QUERY, base_url=server.url, page_size=40
        )
    assert stored_ids(engine) == sorted(atom_ids())
    assert report.pages == 3 and report.added == 100
    starts = [(r.params["start"], r.params["max_results"]) for r in server.requests]
    assert starts == [("0", "40"), ("40", "40"), ("40", "40"), ("80", "40")]
    assert server.requests[0].params["sortBy"] == "submittedDate"
    assert harvest_state.load(engine, "arxiv-api", f"{server.url} {QUERY}") is None


def test_api_max_results_and_resume_after_failure(engine: Engine, client: PoliteClient) -> None:
    responder = ApiServer()
    responder.down_from = 30
    with serve(responder) as server:
        with pytest.raises(SourceError):
            harvest.harvest_arxiv_api(
                engine, client, query=QUERY, base_url=server.url, page_size=15, max_results=50
            )
        assert paper_count(engine) == 30
        responder.down_from = None
        seen = len(server.requests)
        report = harvest.harvest_arxiv_api(
            engine, client, query=QUERY, base_url=server.url, page_size=15, max_results=50
        )
        starts = [(r.params["start"], r.params["max_results"]) for r in server.requests[seen:]]
    assert report.resumed and starts == [("30", "15"), ("45", "5")]
    assert stored_ids(engine) == sorted(atom_ids()[:50])


# -- RSS ------------------------------------------------------------------------------

RSS = (FIXTURES / "arxiv_rss_2024-11-28_all_archives_1504items.xml").read_bytes()
DAY = date(2024, 11, 28)


def listed(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Paper.arxiv_id, DailyEntry.source)
            .join(DailyEntry, DailyEntry.paper_id == Paper.id)
            .where(DailyEntry.day == DAY)
        )
        return sorted((a, s) for a, s in rows)


def test_rss_stores_the_listing_and_features_new_papers_matching_rules(
    engine: Engine, client: PoliteClient
) -> None:
    from paperfeed.sources import arxiv_rss

    parsed = arxiv_rss.parse(RSS)
    expected = sorted(
        r.id
        for r in parsed.records
        if r.announce_type in ("new", "cross")
        and ("hep-lat" in r.categories or "Peter Keevash" in r.authors)
    )
    rules = DailyRules(categories=["hep-lat"], authors=["Peter Keevash"])
    with serve(lambda req: Reply(body=RSS)) as server:
        report = harvest.harvest_rss(
            engine,
            client,
            categories=["hep-lat", "math"],
            rules=rules,
            base_url=server.url + "/rss",
        )
        assert server.requests[0].path == "/rss/hep-lat+math"
        assert report.added == 1504 and report.listed == len(expected) > 5
        assert listed(engine) == [(i, "rule") for i in expected]
        # A replacement by a matching author is not "newly announced".
        assert "1401.3665" not in expected
        # The same announcement day again: nothing is redone.
        again = harvest.harvest_rss(
            engine,
            client,
            categories=["hep-lat", "math"],
            rules=rules,
            base_url=server.url + "/rss",
        )
    assert again.pages == 0 and again.listed == 0
    assert again.notes == ["the listing of 2024-11-28 was already harvested"]
    assert paper_count(engine) == 1504


def test_rss_error_feed_and_empty_feed(engine: Engine, client: PoliteClient) -> None:
    error = (FIXTURES / "arxiv_rss_2024_error_bad_archive.xml").read_bytes()
    empty = (FIXTURES / "arxiv_rss_2024_empty_test_archive.xml").read_bytes()
    with serve(lambda req: Reply(body=error if "astroph" in req.path else empty)) as server:
        with pytest.raises(SourceError, match="Bad archive 'astroph'"):
            harvest.harvest_rss(engine, client, categories=["astroph"], base_url=server.url)
        report = harvest.harvest_rss(
            engine,
            client,
            categories=["test"],
            base_url=server.url,
            rules=DailyRules(categories=["test"]),
        )
        # The empty listing is remembered as that announcement day's (its pubDate), so
        # the same day is not harvested again; the error feed left no state at all.
        assert harvest_state.load(engine, "rss", server.url + "/test") == {"day": "2024-11-28"}
        assert harvest_state.load(engine, "rss", server.url + "/astroph") is None
        with engine.connect() as conn:
            saved = conn.execute(select(HarvestState.source, HarvestState.key)).all()
        assert [tuple(r) for r in saved] == [("rss", server.url + "/test")]
        again = harvest.harvest_rss(engine, client, categories=["test"], base_url=server.url)
    assert report.pages == 1 and report.records == 0 and report.complete
    assert report.listed == 0 and report.notes == []
    assert again.notes == ["the listing of 2024-11-28 was already harvested"]
    assert again.complete and again.pages == 0
    assert paper_count(engine) == 0


# -- arXivRaw, deleted records, empty listings ------------------------------------------

RAW = (FIXTURES / "oai_arXivRaw_listrecords_handmade.xml").read_bytes()
RAW_LAST = RAW.replace(
    b'<resumptionToken cursor="0" completeListSize="5">7125001|3</resumptionToken>',
    b'<resumptionToken cursor="3" completeListSize="5"/>',
)


def test_arxiv_raw_harvest_stores_versions_and_skips_deleted(
    engine: Engine, client: PoliteClient
) -> None:
    def respond(req: Request) -> Reply:
        assert req.params.get("metadataPrefix", "arXivRaw") == "arXivRaw"
        return Reply(body=RAW_LAST if req.params.get("resumptionToken") else RAW)

    with serve(respond) as server:
        report = harvest.harvest_oai(
            engine, client, base_url=server.url, set_spec="math", from_=date(2008, 12, 13)
        )
    assert (report.pages, report.added, report.unchanged, report.deleted) == (2, 2, 2, 2)
    assert stored_ids(engine) == ["0704.0001", "0704.0002"]  # the deleted 0704.0003 is not stored
    with engine.connect() as conn:
        rows = conn.execute(
            select(Paper.arxiv_id, Paper.version, PaperVersion.version, PaperVersion.size)
            .join(PaperVersion, PaperVersion.paper_id == Paper.id)
            .order_by(Paper.arxiv_id, PaperVersion.version)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("0704.0001", 2, 1, "37kb"),
        ("0704.0001", 2, 2, "37kb"),
        ("0704.0002", 2, 1, "20kb"),
        ("0704.0002", 2, 2, "22kb"),
    ]


def test_no_records_match_is_a_complete_empty_harvest(engine: Engine, client: PoliteClient) -> None:
    empty = (
        b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b"<responseDate>2026-11-28T10:00:00Z</responseDate>"
        b'<error code="noRecordsMatch">No records match</error></OAI-PMH>'
    )
    with serve(lambda req: Reply(body=empty)) as server:
        report = run_oai(engine, client, server.url)
        assert harvest.last_oai_until(engine, server.url, "oai_dc", "cs") == date(2026, 11, 28)
    assert report.complete and report.pages == 1 and report.records == 0
    assert paper_count(engine) == 0
