"""XXE and entity bombs: a parse error, and nothing fetched (a loopback canary counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paperfeed.sources import arxiv_atom, arxiv_rss, oai_pmh
from paperfeed.sources.base import Parsed
from paperfeed.sources.errors import SourceError
from tests.hang import finishes
from tests.sources.replay import ReplayServer, Reply, serve

PARSERS: list[Callable[[bytes, str], Parsed]] = [arxiv_atom.parse, oai_pmh.parse, arxiv_rss.parse]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>
<title>&lol9;</title></entry></feed>"""


@pytest.fixture
def canary() -> Iterator[ReplayServer]:
    with serve(lambda req: Reply(body=b"<title>secret-from-network</title>")) as server:
        yield server


def xxe_documents(url: str, secret_file: Path) -> list[bytes]:
    return [
        # External general entity over HTTP.
        f"""<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "{url}/entity">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>
<title>&xxe;</title></entry></feed>""".encode(),
        # External DTD.
        f"""<?xml version="1.0"?><!DOCTYPE OAI-PMH SYSTEM "{url}/dtd">
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"/>""".encode(),
        # Parameter entity.
        f"""<!DOCTYPE rss [<!ENTITY % p SYSTEM "{url}/param"> %p;]>
<rss version="2.0"><channel><title>t</title></channel></rss>""".encode(),
        # Local file.
        f"""<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file://{secret_file}">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>
<title>&xxe;</title></entry></feed>""".encode(),
        # The same in UTF-16, which a byte-level check would not see.
        f"""<?xml version="1.0" encoding="UTF-16"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{url}/u16">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>""".encode("utf-16"),
    ]


@pytest.mark.parametrize("parse", PARSERS)
def test_external_entities_are_refused_and_never_fetched(
    parse: Callable[[bytes, str], Parsed], canary: ReplayServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-content")
    for doc in xxe_documents(canary.url, secret):
        with pytest.raises(SourceError) as err:
            parse(doc, "evil.xml")
        assert "top-secret-content" not in str(err.value)
        assert "secret-from-network" not in str(err.value)
    assert canary.requests == []


@pytest.mark.parametrize("parse", PARSERS)
def test_billion_laughs_is_refused_not_expanded(parse: Callable[[bytes, str], Parsed]) -> None:
    # Refused at the DOCTYPE, before any entity is expanded; a hang would be the failure.
    # How fast: `python -m benchmarks hostile`.
    with pytest.raises(SourceError, match="DOCTYPE"):
        finishes(lambda: parse(BILLION_LAUGHS, "bomb.xml"))
