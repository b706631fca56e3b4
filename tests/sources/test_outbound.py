"""Where the polite client may send requests, and how long and how much it reads:
the pure rules, then the client against real servers on loopback (redirects, an
endless body, a trickle, arXiv's 3 s floor)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from paperfeed.config import ConfigError, load_settings
from paperfeed.sources import arxiv_atom
from paperfeed.sources.errors import SourceError
from paperfeed.sources.gate import RequestGate
from paperfeed.sources.http import PoliteClient
from paperfeed.sources.outbound import (
    ARXIV_MIN_INTERVAL,
    MB,
    HostRefused,
    Limits,
    allowed_hosts,
    check_redirect,
    check_url,
    host_of,
    is_arxiv_host,
    limits_from,
    polite_interval,
)
from tests.conftest import FIXTURES
from tests.sources.replay import ReplayServer, Reply, Request, scripted, serve
from tests.sources.test_http import FakeClock

PAGE = (FIXTURES / "arxiv_api_2026_search_testing_start0_max10.xml").read_bytes()
UA = "paperfeed-tests/1.0"
LOCAL = frozenset({"127.0.0.1"})


def client(**kw: object) -> PoliteClient:
    kw.setdefault("hosts", LOCAL)
    kw.setdefault("retries", 0)
    return PoliteClient(UA, 0.0, backoff=0.01, gate=RequestGate(), **kw)  # type: ignore[arg-type]


# -- the pure rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "host", "interval", "warned"),
    [
        (0.0, "export.arxiv.org", 3.0, True),
        (1.0, "rss.arxiv.org", 3.0, True),
        (0.5, "oaipmh.arxiv.org", 3.0, True),
        (2.99, "arxiv.org", 3.0, True),
        (0.1, "www.arxiv.org", 3.0, True),
        (3.0, "export.arxiv.org", 3.0, False),
        (10.0, "export.arxiv.org", 10.0, False),
        (0.0, "127.0.0.1", 0.0, False),  # a local test server is not bound by it
        (0.5, "mirror.example.org", 0.5, False),
        (0.5, "notarxiv.org", 0.5, False),
        (0.5, "arxiv.org.evil.example", 0.5, False),
        (-1.0, "127.0.0.1", 0.0, False),
    ],
)
def test_the_arxiv_floor_is_one_pure_rule(
    requested: float, host: str, interval: float, warned: bool
) -> None:
    got, warning = polite_interval(requested, host)
    assert got == interval
    assert (warning is not None) == warned
    if warning:
        assert warning == (
            f"request_interval {requested:g} s is below the 3 s arXiv asks for: "
            f"using 3 s for {host}"
        )
        assert "\n" not in warning


def test_arxiv_hosts() -> None:
    assert is_arxiv_host("EXPORT.arXiv.org.")
    assert not is_arxiv_host("evilarxiv.org")
    assert ARXIV_MIN_INTERVAL == 3.0


def test_hosts_come_from_the_configured_sources_and_the_base_url() -> None:
    settings = load_settings(arxiv_api_url="http://Mirror.Example.org:8080/api/query")
    assert allowed_hosts(settings) == {"mirror.example.org", "oaipmh.arxiv.org", "rss.arxiv.org"}
    assert "127.0.0.1" in allowed_hosts(settings, "http://127.0.0.1:9/oai")
    assert allowed_hosts(settings, None, "") == allowed_hosts(settings)


def test_a_url_on_another_host_or_scheme_is_refused_naming_it() -> None:
    allowed = frozenset({"export.arxiv.org"})
    assert check_url("https://export.arxiv.org/api/query?x=1", allowed) == "export.arxiv.org"
    with pytest.raises(HostRefused, match=r"^refused to fetch from evil\.example: not a "
                       r"configured source host \(allowed: export\.arxiv\.org\)$"):
        check_url("https://evil.example/api/query", allowed)
    for bad in ("file:///etc/passwd", "ftp://export.arxiv.org/x", "export.arxiv.org/api", ""):
        with pytest.raises(HostRefused, match="not an http"):
            check_url(bad, allowed)
    with pytest.raises(HostRefused, match=r"^redirected to evil\.example: refused"):
        check_redirect("http://evil.example/", allowed)
    # arXiv may move a service between its own hosts; nobody else may follow.
    assert check_redirect("https://oaipmh.arxiv.org/oai", allowed, "export.arxiv.org")
    with pytest.raises(HostRefused, match=r"^redirected to arxiv\.org\.evil\.example"):
        check_redirect("https://arxiv.org.evil.example/", allowed, "export.arxiv.org")
    with pytest.raises(HostRefused, match=r"^redirected to oaipmh\.arxiv\.org: refused"):
        check_redirect("https://oaipmh.arxiv.org/oai", frozenset({"127.0.0.1"}), "127.0.0.1")
    assert host_of("http://[::1]:80/") == "::1"
    assert host_of("no host here") == ""


def test_limits_follow_the_settings() -> None:
    settings = load_settings(connect_timeout=2, read_timeout=0.5, request_deadline=60,
                             max_response_mb=1.5)
    assert limits_from(settings) == Limits(2.0, 0.5, 60.0, 1_500_000, 3)
    assert limits_from(load_settings()) == Limits(10.0, 10.0, 300.0, 100 * MB, 3)


@pytest.mark.parametrize("field", ["connect_timeout", "read_timeout"])
def test_timeouts_have_a_floor(field: str) -> None:
    with pytest.raises(ConfigError, match=rf"invalid setting {field}: .* equal to 0\.1"):
        load_settings(**{field: 0})


# -- hosts and redirects, against real servers ----------------------------------------------


def test_a_host_that_is_not_configured_is_never_sent_anything() -> None:
    with (
        serve(scripted(Reply(body=PAGE))) as server,
        client() as c,
        pytest.raises(HostRefused, match="refused to fetch from localhost"),
    ):
        c.fetch(server.url.replace("127.0.0.1", "localhost") + "/api/query", arxiv_atom.parse)
    assert server.requests == []
    assert c.stats.requests == 0


def test_a_redirect_on_the_same_host_is_followed() -> None:
    def respond(req: Request) -> Reply:
        if req.path == "/old":
            return Reply(status=301, headers={"Location": "/new?x=1"})
        return Reply(body=PAGE)

    with serve(respond) as server, client() as c:
        assert len(c.fetch(server.url + "/old", arxiv_atom.parse).records) == 10
    assert [(r.path, r.params) for r in server.requests] == [("/old", {}), ("/new", {"x": "1"})]


def test_a_redirect_to_another_host_is_refused_and_that_host_gets_nothing() -> None:
    with serve(scripted(Reply(body=PAGE))) as evil:
        elsewhere = evil.url.replace("127.0.0.1", "localhost") + "/steal"
        redirect = Reply(status=302, headers={"Location": elsewhere})
        with (
            serve(scripted(redirect)) as server,
            client(retries=3) as c,
            pytest.raises(HostRefused) as caught,
        ):
            c.fetch(server.url + "/api/query", arxiv_atom.parse)
    assert str(caught.value) == (
        "redirected to localhost: refused (only 127.0.0.1 are fetched from)"
    )
    assert len(server.requests) == 1  # refused, not retried
    assert evil.requests == []


def test_at_most_three_redirects() -> None:
    def respond(req: Request) -> Reply:
        n = int(req.path.strip("/") or 0)
        return Reply(status=302, headers={"Location": f"/{n + 1}"})

    with (
        serve(respond) as server,
        client(retries=2) as c,
        pytest.raises(SourceError, match="more than 3 redirects"),
    ):
        c.fetch(server.url + "/0", arxiv_atom.parse)
    assert [r.path for r in server.requests] == ["/0", "/1", "/2", "/3"]


# -- size and time limits ---------------------------------------------------------------------


def endless() -> Iterator[bytes]:
    return itertools.repeat(b"<feed>" + b"x" * 65_530)


def test_an_endless_body_is_cut_at_the_cap() -> None:
    limits = Limits(max_bytes=1 * MB)
    with (
        serve(scripted(Reply(stream=endless))) as server,
        client(limits=limits) as c,
        pytest.raises(SourceError) as caught,
    ):
        c.fetch(server.url, arxiv_atom.parse)
    assert str(caught.value) == (
        "127.0.0.1 sent an answer larger than 1 MB; stopped reading "
        "(raise max_response_mb if this source is expected to send more)"
    )
    assert caught.value.code == "too-large" and not caught.value.retryable
    assert len(server.requests) == 1


def test_an_announced_size_over_the_cap_is_refused_unread() -> None:
    limits = Limits(max_bytes=len(PAGE))
    with (
        serve(scripted(Reply(body=PAGE + b" " * 2000))) as server,
        client(limits=limits) as c,
        pytest.raises(SourceError, match="announces an answer larger than"),
    ):
        c.fetch(server.url, arxiv_atom.parse)
    with serve(scripted(Reply(body=PAGE))) as server, client(limits=limits) as c:
        assert len(c.fetch(server.url, arxiv_atom.parse).records) == 10


def trickle(every: float) -> Iterator[bytes]:
    for byte in PAGE:
        time.sleep(every)
        yield bytes([byte])


def test_a_server_answering_a_byte_a_second_times_out() -> None:
    limits = Limits(read_timeout=0.5)
    with (
        serve(scripted(Reply(stream=lambda: trickle(1.0)))) as server,
        client(limits=limits, retries=1) as c,
        pytest.raises(SourceError) as caught,
    ):
        c.fetch(server.url, arxiv_atom.parse)
    assert str(caught.value) == (
        "giving up after 2 attempts: timed out: no data from 127.0.0.1 for 0.5 s"
    )
    assert len(server.requests) == 2  # a timeout is retried like any network error


def test_a_trickle_faster_than_the_read_timeout_meets_the_deadline() -> None:
    limits = Limits(read_timeout=5.0, deadline=0.3)
    with (
        serve(scripted(Reply(stream=lambda: trickle(0.05)))) as server,
        client(limits=limits) as c,
        pytest.raises(SourceError, match=r"timed out: 127\.0\.0\.1 took longer than 0\.3 s"),
    ):
        c.fetch(server.url, arxiv_atom.parse)


# -- arXiv's floor in the client ----------------------------------------------------------


def test_requests_to_arxiv_are_3_s_apart_whatever_the_setting(
    server_as_proxy: ReplayServer,
) -> None:
    """Requests for export.arxiv.org go through a loopback proxy (nothing leaves the
    machine); the clock counts the waits."""
    clock = FakeClock()
    warnings: list[str] = []
    transport = httpx.HTTPTransport(proxy=server_as_proxy.url)
    with PoliteClient(UA, 0.5, clock=clock, gate=RequestGate(), transport=transport,
                      on_warning=warnings.append) as c:
        for _ in range(3):
            c.fetch("http://export.arxiv.org/api/query", arxiv_atom.parse)
    assert [r.headers["host"] for r in server_as_proxy.requests] == ["export.arxiv.org"] * 3
    assert [s for s in clock.sleeps if s > 0.0] == [pytest.approx(3.0)] * 2
    assert warnings == [
        "request_interval 0.5 s is below the 3 s arXiv asks for: using 3 s for export.arxiv.org"
    ]


@pytest.fixture
def server_as_proxy() -> Iterator[ReplayServer]:
    with serve(scripted(Reply(body=PAGE))) as server:
        yield server


def test_arxiv_may_move_a_service_to_another_of_its_hosts() -> None:
    """export.arxiv.org/oai2 answers 301 to oaipmh.arxiv.org (as arXiv did in 2024):
    followed, through a loopback proxy, though only export.arxiv.org is configured."""

    def respond(req: Request) -> Reply:
        if req.headers["host"] == "export.arxiv.org":
            return Reply(status=301, headers={"Location": "http://oaipmh.arxiv.org/oai"})
        return Reply(body=PAGE)

    with serve(respond) as proxy, PoliteClient(
        UA, 0.0, clock=FakeClock(), gate=RequestGate(), hosts=["export.arxiv.org"],
        transport=httpx.HTTPTransport(proxy=proxy.url),
    ) as c:
        assert len(c.fetch("http://export.arxiv.org/oai2", arxiv_atom.parse).records) == 10
    assert [(r.headers["host"], r.path) for r in proxy.requests] == [
        ("export.arxiv.org", "/oai2"), ("oaipmh.arxiv.org", "/oai")
    ]
