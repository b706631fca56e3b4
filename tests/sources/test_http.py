"""The polite client against a real loopback server: spacing, Retry-After, retries, 403."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from paperfeed.sources import arxiv_atom
from paperfeed.sources.errors import Forbidden, SourceError
from paperfeed.sources.gate import RequestGate
from paperfeed.sources.http import PoliteClient, retry_after_seconds
from tests.conftest import FIXTURES
from tests.sources.replay import Reply, scripted, serve

PAGE = (FIXTURES / "arxiv_api_2026_search_testing_start0_max10.xml").read_bytes()
UA = "paperfeed-tests/1.0 (+mailto:ops@example.org)"
LOCAL = ["127.0.0.1"]


def client(interval: float = 0.05, **kw: float) -> PoliteClient:
    backoff = kw.pop("backoff", 0.02)
    return PoliteClient(UA, interval, backoff=backoff, hosts=LOCAL, **kw)  # type: ignore[arg-type]


def test_requests_are_spaced_sent_one_at_a_time_with_user_agent() -> None:
    with serve(scripted(Reply(body=PAGE))) as server, client(0.05) as c:
        for _ in range(5):
            assert len(c.fetch(server.url + "/api/query", arxiv_atom.parse).records) == 10
    assert len(server.requests) == 5
    assert min(server.gaps()) >= 0.05
    assert server.max_concurrent == 1
    assert {r.headers["user-agent"] for r in server.requests} == {UA}


def test_503_retry_after_then_500_then_truncated_then_valid() -> None:
    replies = [
        Reply(status=503, body=b"busy", headers={"Retry-After": "1"}),
        Reply(status=500, body=b"oops"),
        Reply(body=PAGE[: len(PAGE) // 3]),
        Reply(body=PAGE),
    ]
    with serve(scripted(*replies)) as server, client(0.05) as c:
        parsed = c.fetch(server.url, arxiv_atom.parse, {"start": 0})
    assert len(parsed.records) == 10
    assert len(server.requests) == 4
    gaps = server.gaps()
    assert gaps[0] >= 1.0  # Retry-After honoured
    assert min(gaps) >= 0.05
    assert c.stats.retries == 3
    assert c.stats.problems[0] == "HTTP 503, Retry-After 1 s"
    assert c.stats.problems[1] == "HTTP 500"
    assert "not well-formed XML" in c.stats.problems[2]
    # Every retry asks for the same thing again.
    assert {tuple(r.params.items()) for r in server.requests} == {(("start", "0"),)}


def test_network_errors_are_retried_with_growing_backoff() -> None:
    replies = [Reply(drop=True), Reply(drop=True), Reply(body=PAGE)]
    with serve(scripted(*replies)) as server, client(0.01, backoff=0.1) as c:
        assert len(c.fetch(server.url, arxiv_atom.parse).records) == 10
    gaps = server.gaps()
    assert len(server.requests) == 3
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # exponential backoff
    assert c.stats.problems[0].startswith("network error")


def test_403_stops_at_once() -> None:
    with (
        serve(scripted(Reply(status=403, body=b"forbidden"))) as server,
        client() as c,
        pytest.raises(Forbidden) as err,
    ):
        c.fetch(server.url, arxiv_atom.parse)
    assert len(server.requests) == 1
    assert "HTTP 403" in str(err.value) and "stopping" in str(err.value)


def test_gives_up_after_the_retry_budget() -> None:
    with (
        serve(scripted(Reply(status=502))) as server,
        client(0.01, retries=2) as c,
        pytest.raises(SourceError) as err,
    ):
        c.fetch(server.url, arxiv_atom.parse)
    assert len(server.requests) == 3
    assert str(err.value) == "giving up after 3 attempts: HTTP 502"


def test_retry_after_longer_than_allowed_is_an_error_not_a_hang() -> None:
    reply = Reply(status=503, headers={"Retry-After": "86400"})
    with (
        serve(scripted(reply)) as server,
        client(max_wait=60) as c,
        pytest.raises(SourceError, match="asked to wait 86400 s"),
    ):
        c.fetch(server.url, arxiv_atom.parse)
    assert len(server.requests) == 1


def test_http_400_error_feed_gives_arxivs_message() -> None:
    body = (FIXTURES / "arxiv_api_2026_error_http400_bad_id.xml").read_bytes()
    with (
        serve(scripted(Reply(status=400, body=body))) as server,
        client() as c,
        pytest.raises(SourceError) as err,
    ):
        c.fetch(server.url, arxiv_atom.parse, {"id_list": "abc"})
    assert str(err.value) == "arXiv API error: incorrect id format for abc"
    assert len(server.requests) == 1


def test_404_is_not_retried() -> None:
    with (
        serve(scripted(Reply(status=404))) as server,
        client() as c,
        pytest.raises(SourceError, match="HTTP 404"),
    ):
        c.fetch(server.url + "/nope", arxiv_atom.parse)
    assert len(server.requests) == 1


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_gzip_encoded_responses_are_decoded() -> None:
    body = gzip.compress(PAGE)
    reply = Reply(body=body, headers={"Content-Encoding": "gzip"})
    with serve(scripted(reply)) as server, client() as c:
        assert len(c.fetch(server.url, arxiv_atom.parse).records) == 10
    assert "gzip" in server.requests[0].headers["accept-encoding"]


class FakeClock:
    """Time that passes only when slept: long waits cost nothing in tests."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_long_retry_after_is_waited_in_full_through_the_clock() -> None:
    clock = FakeClock()
    replies = [Reply(status=503, headers={"Retry-After": "120"}), Reply(body=PAGE)]
    with (
        serve(scripted(*replies)) as server,
        PoliteClient(UA, 3.0, clock=clock, gate=RequestGate(), hosts=LOCAL) as c,
    ):
        c.fetch(server.url, arxiv_atom.parse)
        c.fetch(server.url, arxiv_atom.parse)
    assert len(server.requests) == 3
    assert clock.sleeps[0] == pytest.approx(120)  # the 503's Retry-After, in full
    assert clock.sleeps[1] == pytest.approx(3.0)  # then the usual 3 s between requests
    assert c.stats.waited == pytest.approx(123)
