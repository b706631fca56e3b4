"""Delivering messages: over SMTP (one connection kept open for many messages) or into
a Maildir (the demo's mailbox), from one URL (``PAPERFEED_SMTP_URL``).

Every SMTP failure is one of three kinds, because a sender must know whether it may
try again:

- :class:`TemporaryFailure`: a 4xx reply, or the connection failed or was lost
  before the whole message was sent. Nothing was delivered; retry later.
- :class:`PermanentFailure`: a 5xx reply about this message or recipient. Do not
  retry; it counts as a bounce.
- :class:`UnknownOutcome`: the connection was lost after the whole message (with its
  terminating ".") was sent, before the server answered. The server may have
  delivered it, so it must never be sent again.

:class:`MailConfigError` is the fourth case: the site's settings are wrong (a bad URL,
a refused login, a certificate that does not verify, a server that refuses our sender
address). Nothing was sent, and nothing will be until an operator fixes it.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import mailbox
import math
import re
import smtplib
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import AddressHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, Self
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)

StartTLS = Literal["auto", "require", "off"]
_STARTTLS: dict[str, StartTLS] = {"auto": "auto", "require": "require", "off": "off"}
Stage = Literal["connect", "ready", "mail", "rcpt", "data", "body", "sent", "done"]

DEFAULT_TIMEOUT = 30.0
NO_SERVER = "no mail server is configured: set PAPERFEED_SMTP_URL"


# --- Errors ---------------------------------------------------------------------------


class MailError(Exception):
    """Mail could not be sent. `code` is the SMTP reply code when the server gave one;
    `detail` says what happened, in one line."""

    def __init__(self, code: int | None, detail: str) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return self.detail if self.code is None else f"{self.detail} (SMTP {self.code})"


class TemporaryFailure(MailError):
    """Nothing was delivered and trying again later may work (4xx, connection failed
    or lost before the message was fully sent)."""


class PermanentFailure(MailError):
    """The server refused this message or recipient for good (5xx): do not retry."""


class UnknownOutcome(MailError):
    """The connection was lost after the whole message was sent but before the server
    answered: it may have been delivered, so it must never be sent again."""


class MailConfigError(MailError):
    """The mail settings are wrong or missing; nothing was sent."""


# --- Configuration --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to reach an SMTP server (``smtp://`` or ``smtps://``)."""

    scheme: Literal["smtp", "smtps"]
    host: str
    port: int
    username: str | None = None
    password: str = field(default="", repr=False)
    starttls: StartTLS = "auto"
    timeout: float = DEFAULT_TIMEOUT

    @property
    def address(self) -> str:
        """host:port, for messages (never the credentials)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class MaildirConfig:
    """A Maildir to deliver into (``maildir:///absolute/path``)."""

    path: Path


def _redacted(url: str) -> str:
    """`url` with any password replaced by ***, for error messages."""
    return re.sub(r"^([a-zA-Z]+://[^:/@]*):[^@/]*@", r"\1:***@", url.strip())


def _options(query: str, url: str, allowed: frozenset[str]) -> dict[str, str]:
    """The URL's query as a dict; MailConfigError for unknown or repeated names."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise MailConfigError(None, f"bad query in mail URL {_redacted(url)}") from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed or name in options:
            known = ", ".join(sorted(allowed)) or "none"
            raise MailConfigError(None, f"unknown or repeated option {name!r} in mail URL "
                                        f"{_redacted(url)} (known: {known})")
        options[name] = value
    return options


def _maildir_config(url: str) -> MaildirConfig:
    """maildir:///absolute/path (or maildir://localhost/absolute/path)."""
    parts = urlsplit(url)
    _options(parts.query, url, frozenset())
    if parts.netloc not in ("", "localhost"):
        raise MailConfigError(None, f"the Maildir path in {url} must be absolute: "
                                    "maildir:///PATH")
    path = Path(unquote(parts.path))
    if not path.is_absolute() or path == Path("/"):
        raise MailConfigError(None, f"the Maildir path in {url} must be absolute: "
                                    "maildir:///PATH")
    return MaildirConfig(path)


def _timeout(value: str, url: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise MailConfigError(None, f"timeout must be a positive number of seconds in "
                                    f"{_redacted(url)}")
    return seconds


def _smtp_config(url: str, scheme: Literal["smtp", "smtps"]) -> SmtpConfig:
    """smtp://USER:PASS@HOST:PORT?starttls=auto|require|off&timeout=SECONDS, smtps://..."""
    shown = _redacted(url)
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise MailConfigError(None, f"bad port in mail URL {shown}") from None
    if not host:
        raise MailConfigError(None, f"no host in mail URL {shown}")
    if parts.path not in ("", "/"):
        raise MailConfigError(None, f"unexpected path in mail URL {shown} (percent-encode "
                                    "'/', '?' and '#' in the user name and password)")
    options = _options(parts.query, url, frozenset({"starttls", "timeout"}))
    starttls = _STARTTLS.get(options.get("starttls", "auto"))
    if starttls is None:
        raise MailConfigError(None, f"starttls must be auto, require or off in {shown}")
    if scheme == "smtps" and "starttls" in options:
        raise MailConfigError(None, f"smtps:// is always encrypted: ?starttls applies to "
                                    f"smtp:// only ({shown})")
    return SmtpConfig(
        scheme=scheme, host=host, port=port or (465 if scheme == "smtps" else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password or ""),
        starttls=starttls,
        timeout=_timeout(options["timeout"], url) if "timeout" in options
        else DEFAULT_TIMEOUT,
    )


def parse_smtp_url(url: str) -> SmtpConfig | MaildirConfig:
    """The settings in a mail URL: ``smtp://USER:PASS@HOST:PORT`` (port 587; STARTTLS
    when the server offers it, ``?starttls=require`` insists, ``?starttls=off`` never),
    ``smtps://...`` (TLS from the start, port 465), ``?timeout=SECONDS`` (default 30),
    or ``maildir:///PATH``. User name and password are percent-decoded. Raises
    MailConfigError (a one-line message, no password in it) for anything else."""
    text = url.strip()
    if not text:
        raise MailConfigError(None, NO_SERVER)
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme == "maildir":
        return _maildir_config(text)
    if scheme == "smtp":
        return _smtp_config(text, "smtp")
    if scheme == "smtps":
        return _smtp_config(text, "smtps")
    raise MailConfigError(None, f"unsupported mail URL {_redacted(text)}: use smtp://, "
                                "smtps:// or maildir://")


# --- Transports -----------------------------------------------------------------------


class Transport(Protocol):
    """Something that delivers messages; close it (or use it in a with block) when done."""

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` to its recipients, or raise a MailError."""

    def close(self) -> None:
        """Let go of connections; the transport may be used again afterwards."""

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class _ClosedOnExit:
    """Context-manager support: `with transport:` closes it at the end."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def envelope(message: Message) -> tuple[str, list[str]]:
    """The SMTP envelope of `message`: the address of its From, and the addresses of
    its To, Cc and Bcc headers."""
    def addresses(name: str) -> list[str]:
        found: list[str] = []
        for header in message.get_all(name, []):
            if isinstance(header, AddressHeader):
                found.extend(address.addr_spec for address in header.addresses)
            else:
                found.extend(addr for _, addr in email.utils.getaddresses([str(header)]))
        return [addr for addr in found if addr]

    senders = addresses("From")
    recipients = addresses("To") + addresses("Cc") + addresses("Bcc")
    if len(senders) != 1 or not recipients:
        raise ValueError("a message needs one From address and at least one recipient")
    return senders[0], recipients


# --- SMTP -----------------------------------------------------------------------------


def _dot_quoted(msg: ReadableBuffer | str) -> bytes:
    """The message as DATA sends it: CRLF line ends, leading dots doubled, ending in
    CRLF "." CRLF (what smtplib.SMTP.data does)."""
    if isinstance(msg, str):
        msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
    data = re.sub(rb"(?m)^\.", b"..", bytes(msg))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Client(smtplib.SMTP):
    """smtplib.SMTP that records how far the current transaction got (`stage`), so
    that a lost connection can be told apart before and after the message data."""

    stage: Stage = "connect"

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.stage = "mail"
        return super().mail(sender, options)

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.stage = "rcpt"
        return super().rcpt(recip, options)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """CPython's SMTP.data, marking the moment the whole message has been sent."""
        self.stage = "data"
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.stage = "body"
        self.send(_dot_quoted(msg))
        self.stage = "sent"  # from here on, a lost connection is an unknown outcome
        return self.getreply()


class _SslClient(_Client, smtplib.SMTP_SSL):
    """_Client over TLS from the start (smtps://)."""


def _reply_text(reply: bytes | str) -> str:
    """A server reply as one readable line."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:500]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reply_failure(code: int, text: str, stage: Stage, where: str) -> MailError:
    """The error for an SMTP reply `code` met at `stage`."""
    if 400 <= code < 500:
        return TemporaryFailure(code, f"{where} answered: {text}")
    if code >= 500 and stage in ("connect", "ready", "mail"):
        # Refusing us or our sender address is a problem of the site, not of one
        # recipient: counting bounces against every subscriber would be wrong.
        return MailConfigError(code, f"{where} refused the site's connection or sender "
                                     f"address: {text}")
    if code >= 500:
        return PermanentFailure(code, f"{where} refused the message: {text}")
    if stage == "sent":
        return UnknownOutcome(code, f"{where} gave an unexpected answer after the message "
                                    f"was sent (it may have been delivered): {text}")
    return TemporaryFailure(code, f"{where} gave an unexpected answer: {text}")


def _lost_failure(exc: BaseException, stage: Stage, where: str) -> MailError:
    """The error for a failed or lost connection at `stage`."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if stage == "sent":
        return UnknownOutcome(None, f"the connection to {where} was lost after the message "
                                    "was sent, before the server answered; it may have "
                                    f"been delivered and must not be sent again ({reason})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailConfigError(None, f"the TLS certificate of {where} could not be "
                                     f"verified: {reason}")
    if stage == "connect":
        return TemporaryFailure(None, f"could not connect to {where}: {reason}")
    return TemporaryFailure(None, f"the connection to {where} was lost before the message "
                                  f"was sent: {reason}")


def classify(exc: Exception, stage: Stage, where: str) -> MailError:
    """The MailError that `exc` (raised by smtplib at `stage`, talking to `where`)
    amounts to: temporary, permanent, unknown outcome, or a configuration problem."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
        return _reply_failure(code, f"{', '.join(exc.recipients)}: {_reply_text(reply)}",
                              "rcpt", where)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailConfigError(exc.smtp_code, f"{where} refused the login: "
                                              f"{_reply_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_failure(exc.smtp_code, _reply_text(exc.smtp_error), stage, where)
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return _lost_failure(exc, stage, where)
    if isinstance(exc, smtplib.SMTPNotSupportedError) and stage != "connect":
        return PermanentFailure(None, f"{where} cannot deliver this message: {exc}")
    # Other SMTPExceptions come from setting up the session: no usable AUTH method,
    # STARTTLS required but not offered, ...
    return MailConfigError(None, f"{where}: {exc}")


class SmtpTransport(_ClosedOnExit):
    """Sends messages over one SMTP connection, opened on the first send and kept open
    for the next ones (closed after any failure, reopened by the next send). A
    connection the server closed while idle is noticed on the next send, before any
    of the message went out, and replaced without an error. Thread-safe: sends are
    serialized."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None,
                 local_hostname: str | None = None) -> None:
        """`ssl_context` defaults to ssl.create_default_context() (system CAs,
        hostname checked); `local_hostname` is the EHLO name (default: this host's)."""
        self.config = config
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname
        self._client: _Client | None = None
        self._lock = threading.Lock()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> _Client:
        """A new session: connected, greeted, encrypted as configured, logged in."""
        config = self.config
        if config.scheme == "smtps":
            client: _Client = _SslClient(config.host, config.port, self._local_hostname,
                                         timeout=config.timeout, context=self._context())
        else:
            client = _Client(config.host, config.port, self._local_hostname,
                             timeout=config.timeout)
        try:
            self._start_session(client)
        except BaseException:
            client.close()
            raise
        client.stage = "ready"
        return client

    def _start_session(self, client: _Client) -> None:
        """EHLO, STARTTLS (as configured) and login on a fresh connection."""
        config = self.config
        client.ehlo_or_helo_if_needed()
        encrypted = config.scheme == "smtps"
        offered = client.has_extn("starttls")
        if config.starttls == "require" and not encrypted and not offered:
            raise MailConfigError(None, f"{config.address} does not offer STARTTLS "
                                        "(starttls=require)")
        if not encrypted and offered and config.starttls != "off":
            client.starttls(context=self._context())
            client.ehlo_or_helo_if_needed()
            encrypted = True
        if config.username is None:
            return
        if not encrypted and config.starttls == "auto" and not _is_loopback(config.host):
            raise MailConfigError(None, f"{config.address} did not offer STARTTLS: refusing "
                                        "to send the password unencrypted (set "
                                        "?starttls=off to allow it)")
        client.login(config.username, config.password)

    def _attempt(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        """One try on the current connection (opened if needed); the connection is
        dropped if anything fails. Raises _IdleClosed when a kept-open connection
        turns out to have been closed by the server."""
        reused = self._client is not None
        stage: Stage = "connect"
        try:
            if self._client is None:
                self._client = self._connect()
            client = self._client
            client.stage = stage = "ready"
            refused = client.send_message(message, sender, recipients)
            client.stage = "done"
        except Exception as exc:
            if self._client is not None:
                stage = self._client.stage
            self._drop()
            if not isinstance(exc, smtplib.SMTPException | OSError | MailError):
                raise
            if reused and stage == "mail" and _closed_while_idle(exc):
                raise _IdleClosed from exc
            raise classify(exc, stage, self.config.address) from exc
        if refused:
            log.warning("%s refused some recipients of %s: %s", self.config.address,
                        message.get("Message-ID", "a message"), refused)

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` to the recipients in its To, Cc and Bcc headers, from
        the address in its From header. Raises TemporaryFailure, PermanentFailure,
        UnknownOutcome or MailConfigError (all MailErrors)."""
        sender, recipients = envelope(message)
        with self._lock:
            try:
                self._attempt(message, sender, recipients)
            except _IdleClosed:
                log.info("%s had closed the idle connection; reconnecting",
                         self.config.address)
                self._attempt(message, sender, recipients)  # a new connection: no loop

    def _drop(self) -> None:
        """Close the socket without a word (the session may be unusable)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        with self._lock:
            client, self._client = self._client, None
            if client is None:
                return
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                client.close()


class _IdleClosed(Exception):
    """A kept-open connection had been closed by the server; nothing was sent."""


def _closed_while_idle(exc: Exception) -> bool:
    """Whether `exc`, met at MAIL FROM on a kept-open connection, means the server had
    closed it while idle: the connection is gone, or the reply is a 421 (a server
    timing out an idle session says 421 and hangs up; the reply waits unread)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return True
    return isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 421


# --- Maildir --------------------------------------------------------------------------


class MaildirTransport(_ClosedOnExit):
    """Delivers messages into a Maildir (created if missing), as the demo's mailbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._box: mailbox.Maildir | None = None

    def send(self, message: EmailMessage) -> None:
        """Write `message` into the Maildir's new/ folder (atomically, as Maildir
        does). Raises MailConfigError if the folder cannot be created or written."""
        data = message.as_bytes(policy=message.policy.clone(linesep="\n"))
        try:
            if self._box is None:
                self._box = mailbox.Maildir(self.path, create=True)
            self._box.add(data)
        except OSError as exc:
            raise MailConfigError(None, f"cannot write to the Maildir {self.path}: "
                                        f"{exc.strerror or exc}") from None

    def close(self) -> None:
        self._box = None


def open_transport(url: str) -> Transport:
    """A transport for a mail URL (see :func:`parse_smtp_url`); nothing connects until
    the first send. MailConfigError for an empty or bad URL."""
    config = parse_smtp_url(url)
    if isinstance(config, MaildirConfig):
        return MaildirTransport(config.path)
    return SmtpTransport(config)


# --- Reading a Maildir (the demo's mailbox page) ----------------------------------------

_KEY = re.compile(r"^[A-Za-z0-9._,:=-]{1,255}$")
_KEY_TIME = re.compile(r"^(\d+)\.(?:M(\d+))?(?:P\d+)?(?:Q(\d+))?")


@dataclass(frozen=True, slots=True)
class StoredMail:
    """One message of a Maildir, as the demo's mailbox page shows it."""

    key: str
    date: datetime | None
    sender: str
    to: str
    subject: str
    text: str
    html: str | None
    raw: bytes


def _key_order(key: str) -> tuple[int, int, int, str]:
    """Delivery order from a Maildir key ("SECONDS.M<micro>P<pid>Q<count>.host")."""
    match = _KEY_TIME.match(key)
    if match is None:
        return (0, 0, 0, key)
    seconds, micro, count = match.groups()
    return (int(seconds), int(micro or 0), int(count or 0), key)


def _date(message: EmailMessage, key: str) -> datetime | None:
    """The message's Date (in UTC when it gives no zone), else its delivery time."""
    try:
        date = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        seconds = _key_order(key)[0]
        return datetime.fromtimestamp(seconds, UTC) if seconds else None
    return date if date.tzinfo is not None else date.replace(tzinfo=UTC)


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return None
    try:
        content = body.get_content()
    except (LookupError, ValueError):
        return None
    return content if isinstance(content, str) else None


def _stored(key: str, raw: bytes) -> StoredMail:
    """A stored message read for display."""
    parsed = BytesParser(policy=default_policy).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return StoredMail(
        key=key, date=_date(parsed, key), sender=str(parsed.get("From", "")),
        to=str(parsed.get("To", "")), subject=str(parsed.get("Subject", "")),
        text=_part(parsed, "plain") or "", html=_part(parsed, "html"), raw=raw,
    )


def _existing_maildir(path: Path) -> mailbox.Maildir | None:
    try:
        return mailbox.Maildir(path, create=False)
    except (mailbox.NoSuchMailboxError, OSError):
        return None


def _read_stored(box: mailbox.Maildir, key: str) -> StoredMail | None:
    try:
        return _stored(key, box.get_bytes(key))
    except (KeyError, OSError):  # gone meanwhile
        return None


def read_maildir(path: Path, limit: int = 100) -> list[StoredMail]:
    """Up to `limit` messages of the Maildir at `path`, newest first ([] if there is
    no Maildir there)."""
    box = _existing_maildir(path)
    if box is None or limit <= 0:
        return []
    try:
        keys = sorted(box.keys(), key=_key_order, reverse=True)
    except OSError:
        return []
    found = (_read_stored(box, key) for key in keys[:limit])
    return [stored for stored in found if stored is not None]


def get_maildir_message(path: Path, key: str) -> StoredMail | None:
    """The message with `key` in the Maildir at `path`, or None (also for a key with
    anything but letters, digits and ``._,:=-``, so no path can be reached)."""
    if not _KEY.match(key) or key.startswith("."):
        return None
    box = _existing_maildir(path)
    return None if box is None else _read_stored(box, key)
