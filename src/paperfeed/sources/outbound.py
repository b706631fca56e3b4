"""Where paperfeed may send requests, and how long and how much it reads: pure rules.

- **Hosts.** A request goes only to a configured source host (the hosts of the arXiv
  API, OAI-PMH and RSS addresses in the settings, plus a ``--base-url`` the operator
  gives a command). :func:`check_url` refuses any other host, and any scheme but
  http(s), before anything is sent; :func:`check_redirect` does the same for the
  target of a redirect ("redirected to evil.example: refused"), except that one of
  arXiv's hosts may send the client on to another of arXiv's.
- **arXiv's pace.** :func:`polite_interval` raises a request interval below 3 s to 3 s
  for arXiv's own hosts (``arxiv.org`` and every ``*.arxiv.org``), with a one-line
  warning; any other host (a local test server) gets the interval as set.
- **Limits.** :class:`Limits` holds the connect and read timeouts, the deadline of a
  whole request, the largest body read and the number of redirects followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from paperfeed.config import Settings
from paperfeed.sources.errors import SourceError

#: arXiv asks for at most one request every 3 seconds, on its every host.
ARXIV_MIN_INTERVAL = 3.0
#: The hosts of arXiv's API, OAI-PMH and RSS services (fetched when nothing else is set).
ARXIV_HOSTS = frozenset({"export.arxiv.org", "oaipmh.arxiv.org", "rss.arxiv.org", "arxiv.org"})
MB = 1_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a request may take and how much of its answer is read."""

    connect_timeout: float = 10.0  # seconds to open the connection
    read_timeout: float = 10.0  # seconds without a byte from the server
    deadline: float = 300.0  # seconds for the whole request, first byte sent to last read
    max_bytes: int = 100 * MB  # largest (decoded) body read
    max_redirects: int = 3


class HostRefused(SourceError):
    """A request (or a redirect) to a host that is not a configured source."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="host-refused", retryable=False)


def host_of(url: str) -> str:
    """The host of `url`, lower-cased and without a trailing dot ('' when it has none)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def hosts_of(urls: Iterable[str | None]) -> frozenset[str]:
    """The hosts of the given source addresses (empty and host-less ones skipped)."""
    return frozenset(h for h in (host_of(u) for u in urls if u) if h)


def is_arxiv_host(host: str) -> bool:
    """True for arxiv.org and every host under it (export., rss., oaipmh., www. …)."""
    host = host.rstrip(".").lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def polite_interval(requested: float, host: str) -> tuple[float, str | None]:
    """The seconds to leave between requests to `host` when `requested` is set, and a
    one-line warning when the setting was raised (arXiv's hosts: never below 3 s)."""
    interval = max(0.0, requested)
    if is_arxiv_host(host) and interval < ARXIV_MIN_INTERVAL:
        return ARXIV_MIN_INTERVAL, (
            f"request_interval {requested:g} s is below the {ARXIV_MIN_INTERVAL:g} s arXiv "
            f"asks for: using {ARXIV_MIN_INTERVAL:g} s for {host}"
        )
    return interval, None


def _allowed_list(allowed: Iterable[str]) -> str:
    return ", ".join(sorted(allowed)) or "none"


def is_http_url(url: str) -> bool:
    """True for an http(s) address with a host."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in ("http", "https") and bool(host_of(url))


def check_url(url: str, allowed: frozenset[str]) -> str:
    """`url`'s host when it may be fetched; raises :class:`HostRefused` naming the host
    otherwise (nothing has been sent)."""
    host = host_of(url)
    if not is_http_url(url):
        raise HostRefused(f"refused to fetch {url[:200]!r}: not an http(s) address with a host")
    if host not in allowed:
        raise HostRefused(
            f"refused to fetch from {host}: not a configured source host "
            f"(allowed: {_allowed_list(allowed)})"
        )
    return host


def check_redirect(target: str, allowed: frozenset[str], origin: str = "") -> str:
    """The host of a redirect's target when it may be followed: an allowed host, or, from
    one of arXiv's hosts (`origin`), another of arXiv's (arXiv moves its services between
    them, e.g. export.arxiv.org/oai2 to oaipmh.arxiv.org). Raises :class:`HostRefused`
    ("redirected to HOST: refused") otherwise."""
    host = host_of(target)
    if not is_http_url(target):
        raise HostRefused(f"redirected to {target[:200]!r}: refused (not an http(s) address)")
    if host not in allowed and not (is_arxiv_host(origin) and is_arxiv_host(host)):
        raise HostRefused(
            f"redirected to {host}: refused (only {_allowed_list(allowed)} "
            "are fetched from)"
        )
    return host


def limits_from(settings: Settings) -> Limits:
    """The request limits the settings ask for."""
    return Limits(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        deadline=settings.request_deadline,
        max_bytes=max(1, int(settings.max_response_mb * MB)),
    )


def allowed_hosts(settings: Settings, *extra_urls: str | None) -> frozenset[str]:
    """The hosts requests may go to: those of the configured source addresses and of
    `extra_urls` (a ``--base-url`` the operator gave a command)."""
    return hosts_of((*settings.source_urls(), *extra_urls))
