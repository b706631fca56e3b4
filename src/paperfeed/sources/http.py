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
- stops at once on 403 (:class:`Forbidden`).

Time is read and slept through an injectable :class:`Clock`, so tests can use short
intervals or count the waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

import httpx

from paperfeed.sources.errors import Forbidden, SourceError
from paperfeed.sources.gate import RequestGate, process_gate

T = TypeVar("T")


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
        timeout: float = 60.0,
        clock: Clock | None = None,
        on_retry: Callable[[str, float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        gate: RequestGate | None = None,
    ) -> None:
        self.interval = max(0.0, interval)
        self.retries = retries
        self.backoff = backoff if backoff is not None else max(self.interval * 2, 0.01)
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self.clock: Clock = clock or SystemClock()
        self.on_retry = on_retry
        self.gate = gate if gate is not None else process_gate()
        self.stats = FetchStats()
        self._last_end: float | None = None
        self._pause = 0.0
        self._http = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=timeout,
            follow_redirects=True,
            max_redirects=3,
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

    def _wait(self, at_least: float = 0.0) -> None:
        """Sleep until ``max(interval, at_least)`` has passed since the last request."""
        at_least, self._pause = max(at_least, self._pause), 0.0
        if self._last_end is None:
            gap = at_least
        else:
            elapsed = self.clock.monotonic() - self._last_end
            gap = max(self.interval, at_least) - elapsed
        gap = max(gap, self.gate.wait_needed(self.interval))
        if gap > 0:
            self.stats.waited += gap
            self.clock.sleep(gap)

    def _send(
        self, url: str, params: Mapping[str, str | int] | None, at_least: float
    ) -> httpx.Response:
        with self.gate:
            self._wait(at_least)
            self.stats.requests += 1
            try:
                return self._http.get(url, params=params)
            finally:
                self._last_end = self.clock.monotonic()
                self.gate.mark_end()

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
        except httpx.TransportError as exc:
            return _Retry(f"network error ({type(exc).__name__}: {exc or 'no detail'})")
        status = response.status_code
        if status == 403:
            raise Forbidden(
                f"{response.url.host} refused access (HTTP 403); stopping. "
                "Check the User-Agent and request rate before trying again"
            )
        if status in (429, 503) or status >= 500:
            return self._busy(response)
        if 200 <= status < 300 or status == 400:
            try:
                result = parse(response.content, label)
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

    def _busy(self, response: httpx.Response) -> _Retry:
        """A 429 or 5xx answer: retry after what ``Retry-After`` asks (backoff without
        one), unless it asks for more than ``max_wait``."""
        status = response.status_code
        ra = retry_after_seconds(response.headers.get("Retry-After"))
        if ra is not None and ra > self.max_wait:
            raise SourceError(
                f"{response.url.host} asked to wait {ra:.0f} s (HTTP {status}); try again later",
                code=str(status),
                retryable=True,
            )
        problem = f"HTTP {status}" + (f", Retry-After {ra:g} s" if ra is not None else "")
        return _Retry(problem, wait_for=ra or 0.0)
