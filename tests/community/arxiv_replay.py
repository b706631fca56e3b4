"""A stand-in arXiv API on loopback for the submit tests: recorded Atom answers served
by a real HTTP server (tests/sources/replay.py), chosen per test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.conftest import FIXTURES
from tests.sources.replay import ReplayServer, Reply, Request, serve

ATOM = "application/atom+xml; charset=utf-8"
ONE_PAPER = (FIXTURES / "arxiv_api_2026_idlist_1605.08386.xml").read_bytes()
OLD_STYLE = (FIXTURES / "arxiv_api_2026_idlist_quant-ph_0201082v1.xml").read_bytes()
EMPTY = (FIXTURES / "arxiv_api_2026_empty_result.xml").read_bytes()
ERROR_400 = (FIXTURES / "arxiv_api_2026_error_http400_bad_id.xml").read_bytes()
# The recorded 1605.08386 answer with the comment arXiv gives a withdrawn paper.
WITHDRAWN = ONE_PAPER.replace(
    b"<arxiv:comment>20 pages, 3 figures</arxiv:comment>",
    b"<arxiv:comment>This paper has been withdrawn by the author due to an error in "
    b"Lemma 2</arxiv:comment>",
)
assert WITHDRAWN != ONE_PAPER
GARBAGE = b"<html><body>Service temporarily unavailable \x00\xff</body></html>"


def ok(body: bytes) -> Reply:
    return Reply(200, body, content_type=ATOM)


@dataclass
class FakeArxiv:
    """Answers `reply` to every request; `server.requests` logs them."""

    server: ReplayServer
    reply: Reply = field(default_factory=lambda: ok(ONE_PAPER))

    @property
    def url(self) -> str:
        return self.server.url + "/api/query"

    @property
    def requests(self) -> list[Request]:
        return self.server.requests


@contextmanager
def fake_arxiv() -> Iterator[FakeArxiv]:
    holder: list[FakeArxiv] = []

    def respond(_req: Request) -> Reply:
        return holder[0].reply

    with serve(respond) as server:
        holder.append(FakeArxiv(server))
        yield holder[0]
