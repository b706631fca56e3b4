"""Building messages (headers that cannot be injected, text+HTML bodies, inlined CSS,
no active content) and checking addresses (syntax only, never DNS)."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import formataddr
from typing import Any

import pytest

from paperfeed.mail.addresses import InvalidAddress, normalize_address
from paperfeed.mail.message import build_message, check_html, clean_header, inline_css

SENDER = "Paper Club <digest@papers.example.org>"
TO = "reader@example.org"
WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
UNSUBSCRIBE = "https://papers.example.org/digest/unsubscribe?token=" + "t0k3n" * 30


def build(**overrides: Any) -> EmailMessage:
    options: dict[str, Any] = {"sender": SENDER, "to": TO, "subject": "Today's papers",
                               "text": "Hello", "date": WHEN, **overrides}
    return build_message(**options)


def wire(message: EmailMessage) -> bytes:
    return message.as_bytes()


def received(message: EmailMessage) -> EmailMessage:
    """`message` as a mail client would read it from the wire."""
    parsed = BytesParser(policy=default_policy).parsebytes(wire(message))
    assert isinstance(parsed, EmailMessage)
    return parsed


def content(part: MIMEPart) -> str:
    """A text part's content with the wire's CRLF line ends as "\\n"."""
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


def header_names(raw: bytes) -> list[str]:
    """The names of the top-level header lines of a message on the wire."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode().lower()
            for line in head.split(b"\r\n") if line and not line[:1].isspace()]


# --- clean_header ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "Hi\r\nBcc: x@evil.org", "Hi\nBcc: x@evil.org", "Hi\rBcc: x@evil.org",
    "Hi\x00Bcc: x@evil.org", "Hi\u2028Bcc: x@evil.org", "Hi\u2029Bcc: x@evil.org",
    "Hi\x85Bcc: x@evil.org", "Hi\x0bBcc: x@evil.org", "Hi \r\n\t Bcc: x@evil.org",
])
def test_clean_header_turns_every_line_break_and_control_into_one_space(value: str) -> None:
    assert clean_header(value) == "Hi Bcc: x@evil.org"


def test_clean_header_collapses_strips_and_truncates() -> None:
    assert clean_header("  a   b\t\tc  ") == "a b c"
    assert clean_header("x" * 300) == "x" * 199 + "…"
    assert len(clean_header("word " * 100, limit=50)) <= 50
    assert clean_header("short", limit=5) == "short"
    assert clean_header("Ünïcödé ∑ title") == "Ünïcödé ∑ title"


# --- headers ----------------------------------------------------------------------------


def test_crlf_in_the_subject_gives_one_subject_and_no_injected_header() -> None:
    message = build(subject="Hi\r\nBcc: victim@example.org\r\n\r\nbody")
    raw = wire(message)
    names = header_names(raw)
    assert names.count("subject") == 1
    assert "bcc" not in names
    assert b"\r\nBcc:" not in raw
    parsed = received(message)
    assert parsed.get_all("Subject") == ["Hi Bcc: victim@example.org body"]
    assert parsed["Bcc"] is None


def test_crlf_in_display_names_injects_nothing() -> None:
    to = formataddr(("Evil\r\nBcc: victim@example.org", "reader@example.org"))
    message = build(to=to, sender='Site\r\nCc: x@evil.org <digest@papers.example.org>')
    names = header_names(wire(message))
    assert "bcc" not in names and "cc" not in names
    parsed = received(message)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["reader@example.org"]
    assert parsed["To"].addresses[0].display_name == "Evil Bcc: victim@example.org"
    assert [a.addr_spec for a in parsed["From"].addresses] == ["digest@papers.example.org"]


def test_display_names_with_quotes_commas_and_accents_round_trip() -> None:
    sender = formataddr(('Paper "Club", Zürich', "digest@papers.example.org"))
    parsed = received(build(sender=sender, to="Ada Lovelace <ada@example.org>"))
    (author,) = parsed["From"].addresses
    assert author.display_name == 'Paper "Club", Zürich'
    assert author.addr_spec == "digest@papers.example.org"
    assert parsed["To"].addresses[0].display_name == "Ada Lovelace"
    # A name RFC 2047-encoded by formataddr is decoded, then cleaned like any other.
    hidden = "=?utf-8?q?Evil=0D=0ABcc:_victim@example.org_=C3=BC?= <reader@example.org>"
    parsed = received(build(to=hidden))
    assert parsed["To"].addresses[0].display_name == "Evil Bcc: victim@example.org ü"
    assert "bcc" not in header_names(wire(build(to=hidden)))
    # An operator's unquoted name with a comma is still one address.
    unquoted = received(build(sender="Paper Club, Zürich <digest@papers.example.org>"))
    assert unquoted["From"].addresses[0].display_name == "Paper Club, Zürich"


def test_internationalized_domains_are_sent_as_idna() -> None:
    parsed = received(build(to="leser@bücher.example"))
    assert parsed["To"].addresses[0].addr_spec == "leser@xn--bcher-kva.example"


@pytest.mark.parametrize("to", [
    "", "not an address", "a@b.org, c@d.org", "Name <a@b.org>, c@d.org", "@example.org",
    "jörg@example.org",
])
def test_anything_but_one_valid_recipient_is_refused(to: str) -> None:
    with pytest.raises(ValueError):
        build(to=to)


def test_standard_headers_are_present() -> None:
    message = build(list_id="Paper Club digest <digest.papers.example.org>",
                    unsubscribe_url=UNSUBSCRIBE)
    parsed = received(message)
    assert parsed["Date"] == "Tue, 01 Dec 2026 08:00:00 +0000"
    assert re.fullmatch(r"<[^<>@\s]+@papers\.example\.org>", parsed["Message-ID"])
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["List-Id"] == "Paper Club digest <digest.papers.example.org>"
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Auto-Submitted" not in parsed
    for name in ("from", "to", "subject", "date", "message-id", "list-id",
                 "list-unsubscribe", "list-unsubscribe-post", "mime-version"):
        assert header_names(wire(message)).count(name) == 1, name


def test_a_long_unsubscribe_url_is_written_literally() -> None:
    raw = wire(build(unsubscribe_url=UNSUBSCRIBE))
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in raw
    assert b"=?utf-8?" not in raw  # never RFC 2047-encoded: clients read it as is


def test_list_headers_are_absent_unless_asked_for() -> None:
    parsed = received(build())
    for name in ("List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted"):
        assert name not in parsed


def test_a_bare_list_id_is_bracketed_and_a_bad_one_refused() -> None:
    assert received(build(list_id="digest.papers.example.org"))["List-Id"] == (
        "<digest.papers.example.org>")
    with pytest.raises(ValueError):
        build(list_id="Digest <not an id>")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "ftp://example.org/x", "https://example.org/a b",
    "https://example.org/<x>", "https://example.org/" + "x" * 1000,
])
def test_bad_unsubscribe_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        build(unsubscribe_url=url)


def test_extra_headers_are_cleaned_and_checked() -> None:
    parsed = received(build(headers={"Auto-Submitted": "auto-generated",
                                     "X-Paper": "Title\r\nBcc: victim@example.org"}))
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Paper"] == "Title Bcc: victim@example.org"
    assert parsed["Bcc"] is None
    for name in ("Bcc", "Subject", "X-Bad\r\nBcc", "Bad Name", "Colon:"):
        with pytest.raises(ValueError):
            build(headers={name: "x"})


def test_message_id_and_date_can_be_given_and_must_be_aware() -> None:
    when = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    parsed = received(build(message_id="<fixed@papers.example.org>", date=when))
    assert parsed["Message-ID"] == "<fixed@papers.example.org>"
    assert parsed["Date"].datetime == when
    with pytest.raises(ValueError, match="timezone"):
        build(date=datetime(2026, 12, 1, 8, 0))  # noqa: DTZ001 - naive on purpose
    assert received(build(date=None))["Date"].datetime.tzinfo is not None


def test_non_ascii_subject_round_trips_and_lines_end_in_crlf() -> None:
    message = build(subject="Ünïcödé ∑ papers — today", text="Grüße\nzweite Zeile")
    raw = wire(message)
    assert raw.isascii()
    assert re.search(rb"[^\r]\n", raw) is None
    parsed = received(message)
    assert parsed["Subject"] == "Ünïcödé ∑ papers — today"
    assert content(parsed) == "Grüße\nzweite Zeile\n"


# --- bodies -----------------------------------------------------------------------------

HTML = """<!doctype html><html><head><style>
p.lead { color: #123456; font-weight: 600 }
@media (max-width: 600px) { p.lead { font-size: 18px } }
</style></head><body><p class="lead">Hello &amp; welcome</p></body></html>"""


def test_text_only_is_a_single_text_plain_part() -> None:
    parsed = received(build(text="Just text"))
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert not parsed.is_multipart()


def test_text_and_html_are_alternatives_text_first() -> None:
    parsed = received(build(text="Plain version", html=HTML))
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert content(plain) == "Plain version\n"
    assert "Hello &amp; welcome" in html.get_content()
    assert "MIME-Version" not in plain and "MIME-Version" not in html


def test_css_rules_end_up_in_style_attributes() -> None:
    parsed = received(build(html=HTML))
    body = parsed.get_body(preferencelist=("html",))
    assert body is not None
    html = body.get_content()
    match = re.search(r'<p class="lead" style="([^"]*)"', html)
    assert match is not None
    assert "color: #123456" in match.group(1) and "font-weight: 600" in match.group(1)
    assert "p.lead { color" not in html  # the inlined rule itself is gone
    assert "@media (max-width: 600px)" in html  # what cannot be inlined is kept


def test_inline_css_keeps_existing_styles_and_loads_nothing_remote() -> None:
    html = inline_css('<html><head><link rel="stylesheet" href="https://example.org/a.css">'
                      '<style>p { color: red }</style></head>'
                      '<body><p style="margin: 0">x</p><!--pf:body--></body></html>')
    assert 'style="color: red;margin: 0"' in html
    assert "<link" not in html
    assert "<!--pf:body-->" in html
    already = '<p style="color: red;">x</p>'
    assert inline_css(already) == already


@pytest.mark.parametrize("html", [
    "<p>x</p><script>alert(1)</script>",
    "<p>x</p><SCRIPT src='https://example.org/x.js'></SCRIPT>",
    '<img src="https://tracker.example.org/pixel.gif" width="1" height="1">',
    "<IMG SRC='http://tracker.example.org/p.gif'>",
    '<img src="//tracker.example.org/p.gif">',
    '<img srcset="a.png 1x, https://tracker.example.org/b.png 2x">',
    '<iframe src="https://example.org/"></iframe>',
    '<object data="x.swf"></object>',
    '<body onload="alert(1)"><p>x</p></body>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<div style="background-image: url(https://tracker.example.org/p.gif)">x</div>',
    "<style>p { background: url('//tracker.example.org/p.gif') }</style><p>x</p>",
])
def test_html_with_scripts_frames_or_remote_resources_is_refused(html: str) -> None:
    with pytest.raises(ValueError, match="HTML part"):
        build(html=html)
    with pytest.raises(ValueError):
        check_html(html)


def test_safe_html_passes() -> None:
    check_html('<p><a href="https://arxiv.org/abs/2611.00001">paper</a>'
               '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
               '<img src="cid:logo@papers.example.org"></p>'
               "<p>Describes &lt;script&gt; tags and onload=handlers in prose.</p>")


def test_long_html_lines_and_8bit_text_are_quoted_printable() -> None:
    message = build(text="café", html="<p>" + "x" * 2000 + "</p>")
    for line in wire(message).split(b"\r\n"):
        assert len(line) <= 998
    parsed = received(message)
    plain, html = parsed.iter_parts()
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert content(html) == "<p>" + "x" * 2000 + "</p>\n"


# --- addresses --------------------------------------------------------------------------


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name look-up fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a DNS look-up was made")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    import dns.resolver

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
    monkeypatch.setattr(dns.resolver, "resolve", refuse)


@pytest.mark.usefixtures("no_dns")
@pytest.mark.parametrize(("text", "normalized"), [
    ("ada@example.org", "ada@example.org"),
    ("  Ada.Lovelace+papers@Example.ORG \t", "Ada.Lovelace+papers@example.org"),
    ("reader@mail.no-such-domain-for-sure.invalid-tld-xyz", None),
    ("leser@BÜCHER.example", "leser@bücher.example"),
])
def test_normalize_address_accepts_without_dns(text: str, normalized: str | None) -> None:
    result = normalize_address(text)
    assert result == (normalized or text.strip())


@pytest.mark.usefixtures("no_dns")
@pytest.mark.parametrize("text", [
    "", "   ", "no-at-sign", "two@@example.org", "a@localhost", "a@example",
    "Ada <ada@example.org>", "ada@example.org\r\nBcc: victim@example.org",
    "ada@example.org\n", "ada\x00@example.org", "jörg@example.org", "a b@example.org",
    "a@[127.0.0.1]", "a" * 250 + "@example.org", "ada@exa_mple.org",
])
def test_normalize_address_refuses(text: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        normalize_address(text)
    message = str(info.value)
    assert "is not a valid email address: " in message
    assert "\n" not in message and "\r" not in message
    assert isinstance(info.value, ValueError)
