"""Polite fetching from arXiv (and other sources): one client, one connection.

arXiv asks for at most one request every 3 seconds on one connection, across the
API, OAI-PMH and RSS together, and throttles with ``503`` plus ``Retry-After``.
:class:`PoliteClient` therefore:

- sends every request through one ``httpx.Client`` limited to one connection, with
  a descriptive User-Agent;
- waits at least ``interval`` seconds after the end of one request before the next
  (and before any retry), counting the requests of every client that shares its
  :class:`~paperfeed.sources.gate.RequestGate` (this process by default; the CLI
  uses a lock file in the data directory, so concurrent commands count together);
- honours ``Retry-After`` on 503/429 (seconds or an HTTP date), and gives up with a
  clear error when the server asks for more than ``max_wait`` seconds;
- retries network errors, 5xx answers and unparseable (e.g. truncated) bodies with
  exponential backoff (``backoff``, doubling, at most ``max_backoff``);
- stops at once on 403 (:class:`Forbidden`);
- sends requests only to its ``hosts`` (arXiv's by default; see
  :mod:`paperfeed.sources.outbound`): another host is refused before anything is
  sent, and a redirect is followed (at most ``limits.max_redirects``) only to one of
  them, each hop checked before it is sent;
- never spaces requests to arXiv's own hosts less than 3 s apart, whatever
  ``interval`` says (one warning through ``on_warning``);
- streams each body and stops reading past ``limits.max_bytes`` (an error, not
  retried); a server silent for ``limits.read_timeout`` seconds, or slower than
  ``limits.deadline`` seconds in all, counts as a network error (retried).

Time is read and slept through an injectable :class:`Clock`, so tests can use short
intervals or count the waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

import httpx

from paperfeed.sources.errors import Forbidden, SourceError
from paperfeed.sources.gate import RequestGate, process_gate
from paperfeed.sources.outbound import (
    ARXIV_HOSTS,
    MB,
    Limits,
    check_redirect,
    check_url,
    polite_interval,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or
    unreadable."""
    if not value or not value.strip():
        return None
    v = value.strip()
    if v.isdigit():
        return float(v)
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(slots=True)
class FetchStats:
    """What the client went through: requests sent, retries and why, total waited."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Retry:
    """A failed attempt worth repeating: why, and how long the server asked to wait."""

    problem: str
    wait_for: float = 0.0


@dataclass(frozen=True, slots=True)
class _Answer:
    """One response: status, final address, headers, and the body when it was read
    (2xx and 400 answers; empty for the rest)."""

    status: int
    url: httpx.URL
    headers: httpx.Headers
    body: bytes


class _Overdue(Exception):
    """The whole request took longer than ``limits.deadline``."""


class PoliteClient:
    def __init__(
        self,
        user_agent: str,
        interval: float = 3.0,
        *,
        retries: int = 5,
        backoff: float | None = None,
        max_backoff: float = 300.0,
        max_wait: float = 900.0,
        timeout: float | None = None,
        limits: Limits | None = None,
        hosts: Iterable[str] | None = None,
        clock: Clock | None = None,
        on_retry: Callable[[str, float], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        gate: RequestGate | None = None,
    ) -> None:
        self.interval = max(0.0, interval)
        self.retries = retries
        self.backoff = backoff if backoff is not None else max(self.interval * 2, 0.01)
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        limits = limits or Limits()
        if timeout is not None:
            limits = Limits(timeout, timeout, limits.deadline, limits.max_bytes,
                            limits.max_redirects)
        self.limits = limits
        self.hosts = frozenset(h.lower() for h in hosts) if hosts is not None else ARXIV_HOSTS
        self.clock: Clock = clock or SystemClock()
        self.on_retry = on_retry
        self.on_warning = on_warning or log.warning
        self.gate = gate if gate is not None else process_gate()
        self.stats = FetchStats()
        self._warned: set[str] = set()
        self._last_end: float | None = None
        self._pause = 0.0
        self._http = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(
                connect=limits.connect_timeout, read=limits.read_timeout,
                write=limits.read_timeout, pool=limits.connect_timeout,
            ),
            follow_redirects=False,  # followed by hand, each target checked first
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            transport=transport,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- timing ---------------------------------------------------------------------

    def pause(self, seconds: float | None = None) -> None:
        """Make the next request wait longer (``backoff`` by default), e.g. after a
        valid answer that is worth asking again later."""
        self._pause = max(self._pause, self.backoff if seconds is None else seconds)

    def interval_for(self, host: str) -> float:
        """The spacing of requests to `host`: ``interval``, but never below 3 s for
        arXiv's hosts (warned about once per host)."""
        interval, warning = polite_interval(self.interval, host)
        if warning and host not in self._warned:
            self._warned.add(host)
            self.on_warning(warning)
        return interval

    def _wait(self, interval: float, at_least: float = 0.0) -> None:
        """Sleep until ``max(interval, at_least)`` has passed since the last request."""
        at_least, self._pause = max(at_least, self._pause), 0.0
        if self._last_end is None:
            gap = at_least
        else:
            elapsed = self.clock.monotonic() - self._last_end
            gap = max(interval, at_least) - elapsed
        gap = max(gap, self.gate.wait_needed(interval))
        if gap > 0:
            self.stats.waited += gap
            self.clock.sleep(gap)

    def _send(
        self, url: str, params: Mapping[str, str | int] | None, at_least: float
    ) -> _Answer:
        """GET `url`, following at most ``limits.max_redirects`` redirects to allowed
        hosts; every hop is spaced like any request."""
        with self.gate:
            request = self._http.build_request("GET", url, params=params)
            for hop in range(self.limits.max_redirects + 1):
                interval = self.interval_for(request.url.host)
                self._wait(interval, at_least if hop == 0 else 0.0)
                self.stats.requests += 1
                try:
                    answer = self._exchange(request)
                finally:
                    self._last_end = self.clock.monotonic()
                    self.gate.mark_end()
                if answer.status not in REDIRECTS:
                    return answer
                location = answer.headers.get("Location")
                if not location:
                    raise SourceError(
                        f"HTTP {answer.status} from {answer.url.host} without a Location",
                        code=str(answer.status),
                    )
                try:
                    target = str(request.url.join(location.strip()))
                except httpx.InvalidURL:
                    target = location
                check_redirect(target, self.hosts, origin=request.url.host)
                request = self._http.build_request("GET", target)
            raise SourceError(
                f"more than {self.limits.max_redirects} redirects from {url}; refused",
                code="redirects",
            )

    def _exchange(self, request: httpx.Request) -> _Answer:
        """Send one request; read the body of 2xx and 400 answers within the limits."""
        deadline = time.monotonic() + self.limits.deadline
        response = self._http.send(request, stream=True)
        try:
            status = response.status_code
            body = b""
            if 200 <= status < 300 or status == 400:
                body = self._read(response, deadline)
            return _Answer(status, response.url, response.headers, body)
        finally:
            response.close()

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        """The decoded body, read in chunks: an error past ``limits.max_bytes`` (checked
        against Content-Length first, so nothing is read when the size is announced)."""
        cap = self.limits.max_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(response, "announces")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(response, "sent")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise _Overdue
        return b"".join(chunks)

    def _too_large(self, response: httpx.Response, verb: str) -> SourceError:
        mb = self.limits.max_bytes / MB
        return SourceError(
            f"{response.url.host} {verb} an answer larger than {mb:g} MB; stopped reading "
            "(raise max_response_mb if this source is expected to send more)",
            code="too-large",
        )

    def _timed_out(self, exc: httpx.TimeoutException | _Overdue, host: str) -> str:
        lim = self.limits
        if isinstance(exc, _Overdue):
            return f"timed out: {host} took longer than {lim.deadline:g} s to answer"
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return f"timed out: could not connect to {host} within {lim.connect_timeout:g} s"
        return f"timed out: no data from {host} for {lim.read_timeout:g} s"

    # -- fetching -------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        parse: Callable[[bytes, str], T],
        params: Mapping[str, str | int] | None = None,
        *,
        label: str | None = None,
    ) -> T:
        """GET ``url`` and parse the body, retrying what is worth retrying.

        ``parse(body, label)`` must raise :class:`SourceError` for bad bodies; those
        with ``retryable`` set (truncated XML) are fetched again. HTTP 400 bodies are
        parsed too (the arXiv API explains its errors in an Atom feed).
        """
        label = label or url
        check_url(url, self.hosts)
        delay = 0.0
        attempt = 0
        while True:
            outcome = self._attempt(url, parse, params, label, delay)
            if not isinstance(outcome, _Retry):
                return outcome
            problem = outcome.problem
            attempt += 1
            self.stats.problems.append(problem)
            if attempt > self.retries:
                raise SourceError(f"giving up after {attempt} attempts: {problem}", retryable=True)
            backoff = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay = outcome.wait_for or backoff
            self.stats.retries += 1
            if self.on_retry is not None:
                self.on_retry(problem, max(delay, self.interval))

    def _attempt(
        self,
        url: str,
        parse: Callable[[bytes, str], T],
        params: Mapping[str, str | int] | None,
        label: str,
        delay: float,
    ) -> T | _Retry:
        """One request: the parsed body, or why it is worth trying again. Raises
        for answers that are not."""
        try:
            response = self._send(url, params, delay)
        except (httpx.TimeoutException, _Overdue) as exc:
            return _Retry(self._timed_out(exc, httpx.URL(url).host))
        except httpx.DecodingError as exc:
            return _Retry(f"unreadable answer ({exc or 'bad compression'})")
        except httpx.TransportError as exc:
            return _Retry(f"network error ({type(exc).__name__}: {exc or 'no detail'})")
        status = response.status
        if status == 403:
            raise Forbidden(
                f"{response.url.host} refused access (HTTP 403); stopping. "
                "Check the User-Agent and request rate before trying again"
            )
        if status in (429, 503) or status >= 500:
            return self._busy(response)
        if 200 <= status < 300 or status == 400:
            try:
                result = parse(response.body, label)
            except SourceError as exc:
                if not exc.retryable:
                    raise
                return _Retry(str(exc))
            if status == 400:
                raise SourceError(f"HTTP 400 from {label}", code="400")
            return result
        if status == 404:
            raise SourceError(f"not found (HTTP 404): {response.url}", code="404")
        raise SourceError(f"HTTP {status} from {response.url}", code=str(status))

    def _busy(self, response: _Answer) -> _Retry:
        """A 429 or 5xx answer: retry after what ``Retry-After`` asks (backoff without
        one), unless it asks for more than ``max_wait``."""
        status = response.status
        ra = retry_after_seconds(response.headers.get("Retry-After"))
        if ra is not None and ra > self.max_wait:
            raise SourceError(
                f"{response.url.host} asked to wait {ra:.0f} s (HTTP {status}); try again later",
                code=str(status),
                retryable=True,
            )
        problem = f"HTTP {status}" + (f", Retry-After {ra:g} s" if ra is not None else "")
        return _Retry(problem, wait_for=ra or 0.0)
