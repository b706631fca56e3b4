"""Mail messages as the site sends them: one :func:`build_message` for everything.

Every header value that comes from data (names, subjects, paper titles, URLs) goes
through :func:`clean_header` or the address parser, so no value can start a header of
its own. The body is plain text, or plain text plus an HTML alternative whose CSS is
inlined (:func:`inline_css`) and which is refused if it would run JavaScript or load
anything from the network (remote images, tracking pixels, frames).
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, make_msgid, unquote
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import css_inline

# C0 and C1 controls (CR, LF, NUL, ...), DEL, and the Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# RFC 5322 field names: printable ASCII except the colon.
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")
# "Display Name <addr@example.org>", the name optionally in double quotes.
_NAME_ADDR = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>$", re.DOTALL)
# Lines longer than this (in characters) are sent quoted-printable (RFC 5322 allows 998).
_MAX_7BIT_LINE = 998
# A List-Unsubscribe URL must fit on one header line: it cannot be folded or encoded.
_MAX_URL = 900

# Set by build_message itself (or by the email package): never through `headers`.
RESERVED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "reply-to", "sender", "subject", "date", "message-id",
    "mime-version", "content-type", "content-transfer-encoding", "list-id",
    "list-unsubscribe", "list-unsubscribe-post",
})


def clean_header(value: str, limit: int = 200) -> str:
    """`value` made safe for a header: every control character (CR, LF, NUL, U+2028,
    U+2029, ...) becomes a space, runs of whitespace become one space, the ends are
    stripped, and a value longer than `limit` characters is cut to `limit` with "…"."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", value))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    """One shared inliner: <style> rules go into style attributes; at-rules (@media)
    that cannot be inlined stay in a <style> tag; <link> tags are dropped and nothing
    is ever fetched from the network."""
    import css_inline

    return css_inline.CSSInliner(
        inline_style_tags=True, keep_style_tags=False, keep_at_rules=True,
        keep_link_tags=False, load_remote_stylesheets=False,
    )


def inline_css(html: str) -> str:
    """`html` with the rules of its <style> tags written into the style attributes of
    the elements they match (what mail clients handle best: many ignore <style>).
    Media queries are kept in a <style> tag for the clients that do read it; <link>
    stylesheets are dropped, never loaded. HTML without <style> or <link> is returned
    unchanged, so inlining twice costs nothing. Raises ValueError for CSS that cannot
    be parsed."""
    lowered = html.lower()
    if "<style" not in lowered and "<link" not in lowered:
        return html
    import css_inline

    try:
        return str(_inliner().inline(html))
    except css_inline.InlineError as exc:
        raise ValueError(f"the CSS of the HTML part could not be inlined: {exc}") from None


_ACTIVE_TAG = re.compile(r"<(script|iframe|frame|object|embed)", re.IGNORECASE)
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript):", re.IGNORECASE)
_REMOTE_IN_SRCSET = re.compile(r"(?:^|[\s,])(?:https?:)?//", re.IGNORECASE)
_LOADING_ATTRIBUTES = frozenset({"src", "srcset", "background", "poster", "lowsrc"})
_URL_ATTRIBUTES = _LOADING_ATTRIBUTES | {"href", "action", "formaction", "xlink:href"}


class _ActiveContentFinder(HTMLParser):
    """Reads HTML and notes the first thing in it that would run a script or load
    something from the network when the mail is opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem: str | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if self.problem is None:
                self.problem = _attribute_problem(tag, name, value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and self.problem is None and _REMOTE_CSS_URL.search(data):
            self.problem = "a stylesheet that loads a remote url(...)"


def _attribute_problem(tag: str, name: str, value: str) -> str | None:
    """What is wrong with attribute `name`=`value` of a <tag>, if anything."""
    if name.startswith("on"):
        return f"an event handler attribute ({name}) on <{tag}>"
    remote = _REMOTE_IN_SRCSET.search(value) if name == "srcset" else _REMOTE.match(value)
    if name in _LOADING_ATTRIBUTES and remote:
        return f"<{tag} {name}> loading a remote resource (remote image or tracking pixel)"
    if name in _URL_ATTRIBUTES and _SCRIPT_URL.match(value):
        return f"a script URL in <{tag} {name}>"
    if name == "style" and _REMOTE_CSS_URL.search(value):
        return f"a style attribute on <{tag}> that loads a remote url(...)"
    return None


def check_html(html: str) -> None:
    """Raise ValueError if `html` contains JavaScript (<script>, event handlers,
    javascript: URLs), frames or embedded objects, or loads anything remote when
    opened (<img> with an http(s) source, CSS url(http...)): mail from this site
    carries no scripts, remote images or tracking pixels."""
    active = _ACTIVE_TAG.search(html)
    if active is not None:
        raise ValueError(f"the HTML part contains <{active.group(1).lower()}>: "
                         "mail never carries scripts, frames or embedded objects")
    finder = _ActiveContentFinder()
    finder.feed(html)
    finder.close()
    if finder.problem is not None:
        raise ValueError(f"the HTML part contains {finder.problem}")


def _ascii_domain(domain: str) -> str:
    """`domain` as ASCII (IDNA) so it can stand in a header and an SMTP envelope."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{domain!r} is not a valid domain name: {exc}") from None


def _display_name(text: str) -> str:
    """A display name as written in a header, as text: unquoted, RFC 2047 encoded
    words (as email.utils.formataddr writes them) decoded, then cleaned again, so
    an encoded line break cannot get through either."""
    name = text.strip()
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        name = unquote(name)
    if "=?" in name:  # not encoded words after all: keep the text as it is
        with suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
            name = str(make_header(decode_header(name)))
    return clean_header(name)


def parse_address(value: str) -> Address:
    """One mailbox, "addr@example.org" or "Display Name <addr@example.org>" (the name
    may be quoted), as an Address whose domain is ASCII. A display name keeps its
    quotes, commas and non-ASCII letters (the email package encodes them); control
    characters become spaces. Raises ValueError for anything but exactly one valid
    address."""
    text = clean_header(value, limit=998)
    match = _NAME_ADDR.match(text)
    name, addr = (match.group("name"), match.group("addr")) if match else ("", text)
    name = _display_name(name)
    local, at, domain = addr.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{clean_header(value, 80)!r} is not a valid email address")
    try:
        return Address(display_name=name,
                       addr_spec=f"{local}@{_ascii_domain(domain)}")
    except (ValueError, HeaderParseError) as exc:
        raise ValueError(
            f"{clean_header(value, 80)!r} is not a valid email address: {exc}") from None


class _Verbatim(str):
    """A header value that is written exactly as given (folded only at spaces), never
    RFC 2047-encoded: the email package would encode a long URL, and mail clients read
    List-Unsubscribe and List-Id literally. Only for ASCII values already cleaned."""

    name: str

    def __new__(cls, name: str, value: str) -> _Verbatim:
        if not value.isascii() or _CONTROL.search(value):
            raise ValueError(f"{name} must be printable ASCII")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        """The header line(s) `Name: value`, folded before words that would pass the
        policy's line length (a single long word stays whole)."""
        limit = policy.max_line_length or _MAX_7BIT_LINE
        first, *rest = str(self).split(" ")
        lines = [f"{self.name}: {first}"]
        for word in rest:
            if len(lines[-1]) + 1 + len(word) > limit:
                lines.append("")
            lines[-1] += f" {word}"
        return policy.linesep.join(lines) + policy.linesep


def _list_id(value: str) -> str:
    """A List-Id value, "Name <list.id.domain>" (RFC 2919); a bare id is bracketed."""
    text = clean_header(value, limit=300)
    if "<" not in text:
        text = f"<{text}>"
    if not re.search(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+>$", text):
        raise ValueError(f"{text!r} is not a List-Id: use 'Name <list.id.example.org>'")
    return text


def _unsubscribe_url(url: str) -> str:
    """A one-click unsubscribe URL, checked: http(s), no spaces or angle brackets, short
    enough for one header line."""
    text = clean_header(url, limit=10_000)
    if not re.match(r"^https?://[^\s<>]+$", text, re.IGNORECASE) or not text.isascii():
        raise ValueError("unsubscribe_url must be an ASCII http(s) URL without spaces")
    if len(text) > _MAX_URL:
        raise ValueError(f"unsubscribe_url is longer than {_MAX_URL} characters")
    return text


def _set_list_headers(message: EmailMessage, list_id: str | None,
                      unsubscribe_url: str | None) -> None:
    """List-Id, and List-Unsubscribe with its RFC 8058 one-click companion."""
    if list_id is not None:
        value = _list_id(list_id)
        message["List-Id"] = _Verbatim("List-Id", value) if value.isascii() else value
    if unsubscribe_url is not None:
        url = _unsubscribe_url(unsubscribe_url)
        message["List-Unsubscribe"] = _Verbatim("List-Unsubscribe", f"<{url}>")
        message["List-Unsubscribe-Post"] = _Verbatim(
            "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


def _set_extra_headers(message: EmailMessage, headers: dict[str, str] | None) -> None:
    """The caller's extra headers (Auto-Submitted, ...), values cleaned."""
    for name, value in (headers or {}).items():
        if not _FIELD_NAME.match(name):
            raise ValueError(f"{name!r} is not a header name")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"{name} is set by build_message, not through headers")
        message[name] = clean_header(value, limit=900)


def _transfer_encoding(body: str) -> str:
    """7bit for plain short-lined ASCII; quoted-printable for anything else, which
    every server accepts (8bit needs the server's 8BITMIME)."""
    printable = body.isascii() and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", body)
    if printable and all(len(line) <= _MAX_7BIT_LINE for line in body.splitlines()):
        return "7bit"
    return "quoted-printable"


def _set_body(message: EmailMessage, text: str, html: str | None, html_checked: bool) -> None:
    """text/plain alone, or multipart/alternative: text/plain first, text/html second
    (clients show the last part they can render)."""
    message.set_content(text, subtype="plain", charset="utf-8",
                        cte=_transfer_encoding(text))
    if html is not None:
        if html_checked:
            inlined = html
        else:
            check_html(html)  # before inlining: <style> rules are checked, <link>s dropped
            inlined = inline_css(html)
        message.add_alternative(inlined, subtype="html", charset="utf-8",
                                cte=_transfer_encoding(inlined))
        for part in message.iter_parts():
            del part["MIME-Version"]  # belongs to the top level only


def build_message(
    *, sender: str, to: str, subject: str, text: str, html: str | None = None,
    list_id: str | None = None, unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None, message_id: str | None = None,
    date: datetime | None = None, html_checked: bool = False,
) -> EmailMessage:
    """An RFC 5322 message (CRLF line ends) from `sender` to `to`, each one address
    ("addr@example.org" or "Name <addr@example.org>").

    Headers: From, To, Subject (cleaned), Date (`date`, timezone-aware, default now in
    UTC), Message-ID (`message_id`, default a new one at the sender's domain), and
    MIME-Version; List-Id when `list_id` is given ("Name <list.id.domain>"); with an
    `unsubscribe_url`, List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 one-click);
    then `headers` (values cleaned; Auto-Submitted only when passed here). The body is
    `text`, or `text` and `html` as alternatives, the HTML with its CSS inlined.
    `html_checked` says the caller has already inlined the HTML's CSS and passed it
    through :func:`check_html` (or put it together only from pieces that passed, with
    escaped text between them), as the digest renderer does once per run rather than
    once per message.

    Raises ValueError for an invalid address, a naive `date`, or HTML with scripts,
    frames or remote resources.
    """
    if date is not None and date.tzinfo is None:
        raise ValueError("date must be timezone-aware")
    from_address = parse_address(sender)
    message = EmailMessage(policy=SMTP)
    message["From"] = from_address
    message["To"] = parse_address(to)
    message["Subject"] = clean_header(subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    if message_id is not None:
        message["Message-ID"] = clean_header(message_id, limit=900)
    else:
        message["Message-ID"] = make_msgid(domain=from_address.domain)
    _set_list_headers(message, list_id, unsubscribe_url)
    _set_extra_headers(message, headers)
    _set_body(message, text, html, html_checked)
    return message
