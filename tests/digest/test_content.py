"""What a digest holds and how it is written: trending and topic matches, each paper
once with why; a well-formed message; nothing from data can inject a header or markup."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from lxml import html as lxml_html

from paperfeed.digest.compose import Composer
from paperfeed.digest.service import preview
from paperfeed.mail.message import check_html
from tests.digest.conftest import HOSTILE_TITLE, Env
from tests.digest.helpers import add_subscriber, digests_to, parts, send_period


def _ids(items: list) -> list[str]:  # type: ignore[type-arg]
    return [item.paper.arxiv_id for item in items]


def test_trending_then_topic_matches_each_paper_once(env: Env) -> None:
    outcome = add_subscriber(env, "ada@example.org", categories=["cs.LG", "quant-ph"],
                             authors=["Bob Numerics"])
    digest = Composer(env.engine, env.settings, env.period).compose(outcome.subscription)
    # Trending: the period's listed papers with upvotes, most first.
    assert _ids(digest.trending) == ["2611.00001", "2611.00002"]
    # Matches: announced in the period, not already shown; the old paper never.
    assert set(_ids(digest.matched)) == {"2611.00003", "2611.00004"}
    reasons = {item.paper.arxiv_id: item.reasons for item in digest.trending + digest.matched}
    assert reasons["2611.00001"] == ["trending: 7 upvotes", "in cs.LG"]
    assert reasons["2611.00003"] == ["in quant-ph"]
    assert reasons["2611.00004"] == ["by Bob Numerics"]
    assert "2610.00009" not in _ids(digest.trending + digest.matched)


def test_keywords_and_saved_searches_match_through_search(env: Env) -> None:
    outcome = add_subscriber(env, "ada@example.org", keywords=["spectral"],
                             searches=['"error correction" cat:quant-ph'])
    digest = Composer(env.engine, env.settings, env.period).compose(outcome.subscription)
    reasons = {item.paper.arxiv_id: item.reasons for item in digest.matched}
    assert reasons["2611.00004"] == ["mentions “spectral”"]
    assert reasons["2611.00003"] == ['matches your search “"error correction" cat:quant-ph”']


def test_the_number_of_papers_is_the_subscribers(env: Env) -> None:
    outcome = add_subscriber(env, "ada@example.org", max_papers=1,
                             categories=["quant-ph", "math.NA"])
    digest = Composer(env.engine, env.settings, env.period).compose(outcome.subscription)
    assert len(digest.matched) == 1


def test_a_digest_is_a_well_formed_multipart_message(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    send_period(env)
    [message] = digests_to(env, "ada@example.org")
    assert message["From"] == "Paper Club <digest@papers.example.org>"
    assert message["Message-ID"] and message["Date"]
    assert message["List-Id"] == "Paper Club digest <digest.papers.example.org>"
    unsubscribe = str(message["List-Unsubscribe"])
    assert re.fullmatch(r"<https://papers\.example\.org/digest/unsubscribe\?token=\S+>",
                        unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "Graph neural networks for molecules" in text
    assert "Why: trending: 7 upvotes; in cs.LG" in text
    assert "https://papers.example.org/digest/manage?token=" in text
    doc = lxml_html.document_fromstring(html)
    assert not doc.xpath("//script | //img | //iframe | //link[@rel='stylesheet']")
    assert not doc.xpath("//style")  or "style=" in html  # CSS is inlined
    titles = [a.text_content() for a in doc.xpath("//p[@class='title']/a")]
    assert titles[0] == "Graph neural networks for molecules"
    hrefs = doc.xpath("//a/@href")
    assert "https://papers.example.org/papers/2611.00001" in hrefs
    assert any(h.startswith("https://papers.example.org/digest/unsubscribe?token=")
               for h in hrefs)


def test_text_from_papers_and_subscribers_injects_nothing(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.CV"],
                   keywords=["<b>bold</b>\r\nBcc: x@evil.example"],
                   authors=["Eve\r\nSubject: spoofed"],
                   searches=['<script>alert("x")</script> diffusion'])
    send_period(env)
    [message] = digests_to(env, "ada@example.org")
    assert message.get_all("Bcc") is None
    assert len(message.get_all("Subject")) == 1
    assert "spoofed" not in str(message["Subject"])
    raw = message.as_bytes()
    reparsed = message_from_bytes(raw, policy=policy.default)
    assert reparsed.get_all("Bcc") is None
    text, html = parts(message)
    doc = lxml_html.document_fromstring(html)
    assert not doc.xpath("//script | //b | //i")
    assert "<b>claims</b>" not in html and "&lt;b&gt;claims&lt;/b&gt;" in html
    assert "Bold <b>claims</b> & $x^2$" in text  # plain in the text part
    assert HOSTILE_TITLE.split("\r")[0].strip() in " ".join(text.split())
    # The renderer checks each piece once per run; the whole letter passes the check too.
    check_html(html)
    assert "<style" not in html.split("</head>")[-1]  # CSS inlined in the body


def test_preview_shows_exactly_what_would_be_sent(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    shown = preview(env.engine, env.settings, "ada@example.org", env.period)
    send_period(env)
    [sent] = digests_to(env, "ada@example.org")
    assert shown.message["Subject"] == sent["Subject"]
    def lines(text: str) -> list[str]:
        return text.replace("\r\n", "\n").splitlines()

    assert lines(parts(shown.message)[0]) == lines(parts(sent)[0])
    assert lines(parts(shown.message)[1]) == lines(parts(sent)[1])


def test_with_a_semantic_index_a_topic_also_finds_papers_close_in_meaning(env: Env) -> None:
    """A keyword no paper of the period contains still brings the period's papers
    nearest in meaning, at most MEANING_ONLY of them, each saying so; keyword matches
    come first and the old paper stays out."""
    from paperfeed.digest.compose import MEANING_ONLY
    from paperfeed.search.indexing import index_missing

    index_missing(env.engine, env.settings)
    outcome = add_subscriber(env, "ada@example.org", keywords=["qubit decoherence", "spectral"])
    with Composer(env.engine, env.settings, env.period) as composer:
        digest = composer.compose(outcome.subscription)
    reasons = {item.paper.arxiv_id: item.reasons for item in digest.matched}
    assert _ids(digest.matched)[0] == "2611.00004"  # the keyword match of "spectral"
    assert "mentions “spectral”" in reasons["2611.00004"]
    by_meaning = [pid for pid, why in reasons.items()
                  if "close in meaning to “qubit decoherence”" in why]
    assert 0 < len(by_meaning) <= MEANING_ONLY
    assert "2611.00003" in by_meaning  # the quantum paper is the nearest
    assert "2610.00009" not in reasons


def test_tex_accents_read_as_letters_in_both_parts(env: Env) -> None:
    """A digest shows a paper's TeX accents and escapes as the paper page does
    (Schrödinger, Erdős), in the HTML and the text part; math stays as TeX."""
    from paperfeed.storage.engine import write_session
    from paperfeed.storage.models import Paper
    from tests.digest.conftest import DAY

    with write_session(env.engine) as session:
        session.add(Paper(
            arxiv_id="2611.00077", version=1, published=DAY, primary_category="math.CO",
            categories=["math.CO"], title=r"Erd\H{o}s problems on $10p$ vertices",
            authors=[r"Dragan Maru\v si\v c", r"Paul Erd\H{o}s"],
            abstract=r"The Schr\"odinger picture of graphs \& more."))
    add_subscriber(env, "ada@example.org", categories=["math.CO"])
    send_period(env)
    [message] = digests_to(env, "ada@example.org")
    text, html = parts(message)
    for part in (text, html):
        assert "Erdős problems on $10p$ vertices" in part
        assert "Dragan Marušič, Paul Erdős" in part
        assert "The Schrödinger picture of graphs &" in part.replace("&amp;", "&")
        assert "\\H{o}" not in part and '\\"o' not in part
