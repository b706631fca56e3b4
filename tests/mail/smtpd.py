"""A real SMTP server on loopback for tests, with scripted answers.

:class:`SmtpServer` runs aiosmtpd in a thread on 127.0.0.1 (a free port chosen by the
system) and records what it receives. Use it as a context manager (or a fixture)::

    with SmtpServer() as server:
        server.script(["421", "accept"])   # the next two transactions, in order
        transport = open_transport(server.url)
        ...
        assert len(server.messages) == 1

Each mail transaction (MAIL FROM to the end of DATA) takes the next behaviour from the
script; when the script is empty, the server's `default` applies ("accept"):

- ``"accept"``: 250 after the data; the message is recorded.
- ``"NNN"`` or ``"NNN text"``: that reply after the data (``"421"``, ``"550"``, ...);
  recorded only for a 2xx reply.
- ``"mail:NNN"`` / ``"rcpt:NNN"`` (optionally with text): that reply to MAIL FROM or
  to RCPT TO instead.
- ``"drop-before-data"``: the connection is closed at RCPT TO, before any data.
- ``"drop-after-data"``: the whole message is received (and recorded: the server has
  it), then the connection is closed without a reply, as a crash or network failure
  after the final "." would. The client cannot know the message arrived.

A 421 reply does not close the connection by itself (smtplib, like most clients,
closes it on 421). :meth:`SmtpServer.drop_connections` closes every open connection,
as a server timing out idle sessions does.

Optional: ``credentials=(user, password)`` turns on AUTH PLAIN/LOGIN (allowed without
TLS), ``tls_context`` offers STARTTLS, and ``implicit_tls=True`` speaks TLS from the
first byte (smtps). Everything is thread-safe: the server runs in its own thread and
the recorded lists are copied out under a lock.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from types import TracebackType
from typing import Any, Literal, Self, cast
from weakref import WeakKeyDictionary

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
_REPLY = re.compile(r"^(?:(?P<stage>mail|rcpt):)?(?P<code>[2-5]\d\d)(?: (?P<text>.+))?$")
_DEFAULT_TEXT = {"2": "2.0.0 OK (scripted)", "4": "4.0.0 Try again later (scripted)",
                 "5": "5.0.0 Refused (scripted)"}


@dataclass(frozen=True)
class Behaviour:
    """What the server does in one transaction: at `stage`, `action` (reply with
    `reply`, accept, or drop the connection)."""

    stage: Literal["mail", "rcpt", "data"]
    action: Literal["accept", "reply", "drop"]
    reply: str = "250 OK"

    @classmethod
    def parse(cls, spec: str) -> Behaviour:
        """A behaviour from its script form (see the module docstring)."""
        if spec == "accept":
            return cls("data", "accept")
        if spec == "drop-before-data":
            return cls("rcpt", "drop")
        if spec == "drop-after-data":
            return cls("data", "drop")
        match = _REPLY.match(spec)
        if match is None:
            raise ValueError(f"unknown SMTP test behaviour {spec!r}")
        code = match.group("code")
        text = match.group("text") or _DEFAULT_TEXT[code[0]]
        stage = match.group("stage") or "data"
        return cls(stage, "reply", f"{code} {text}")  # type: ignore[arg-type]


@dataclass(frozen=True)
class Received:
    """One message the server took: its envelope, its bytes as sent, and whether the
    session was encrypted (STARTTLS or implicit TLS) and authenticated."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool = False
    authenticated: bool = False

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the default (modern) policy."""
        parsed = BytesParser(policy=default_policy).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _hang_up(server: SMTP) -> None:
    """Close the client's connection at once (what is written later is dropped)."""
    if server.transport is not None:
        server.transport.close()


def _is_open(server: SMTP) -> bool:
    """Whether the connection of `server` is still up (or not yet made)."""
    transport = getattr(server, "transport", None)
    return transport is None or not transport.is_closing()


def _encrypted(server: SMTP, session: Session) -> bool:
    """Whether the session runs over TLS (aiosmtpd sets session.ssl only on STARTTLS)."""
    transport = server.transport
    ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
    return session.ssl is not None or ssl_object is not None


class _Handler:
    """aiosmtpd handler hooks applying the script of `owner`."""

    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner
        self._current: WeakKeyDictionary[Envelope, Behaviour] = WeakKeyDictionary()

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        behaviour = self._owner._next_behaviour()
        self._current[envelope] = behaviour
        if behaviour.stage == "mail":
            return behaviour.reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        behaviour = self._current.get(envelope, Behaviour("data", "accept"))
        if behaviour.stage == "rcpt" and behaviour.action == "drop":
            _hang_up(server)
            return "250 OK"  # never delivered: the connection is closed
        if behaviour.stage == "rcpt":
            return behaviour.reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        behaviour = self._current.pop(envelope, Behaviour("data", "accept"))
        keep = behaviour.action in ("accept", "drop") or behaviour.reply.startswith("2")
        if keep:
            content = envelope.original_content or b""
            self._owner._record(Received(
                str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(content),
                tls=_encrypted(server, session), authenticated=bool(session.authenticated)))
        if behaviour.action == "drop":
            _hang_up(server)
            return "250 OK"  # never delivered: the connection is closed
        return behaviour.reply


class _Controller(Controller):
    """aiosmtpd's Controller on a port the system picks (port=0), tracking every
    connection it accepts."""

    def __init__(self, owner: SmtpServer, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, hostname=HOST, port=0, **kwargs)
        self._owner = owner

    def _trigger_server(self) -> None:
        # The real port is known once the server is bound; then do aiosmtpd's check.
        server = cast(asyncio.Server, self.server)
        self.port = int(server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def factory(self) -> SMTP:
        server = cast(SMTP, super().factory())  # type: ignore[no-untyped-call]
        self._owner._connected(server)
        return server


class SmtpServer:
    """A scriptable SMTP server on 127.0.0.1; see the module docstring."""

    def __init__(self, *, default: str = "accept",
                 credentials: tuple[str, str] | None = None,
                 tls_context: ssl.SSLContext | None = None,
                 implicit_tls: bool = False) -> None:
        self.default = Behaviour.parse(default)
        self.credentials = credentials
        self.implicit_tls = implicit_tls
        self._tls_context = tls_context
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._received: list[Received] = []
        self._servers: list[SMTP] = []
        self._connections = 0
        self._controller: _Controller | None = None

    # Running -------------------------------------------------------------------------

    def start(self) -> Self:
        """Start listening (in a thread); returns self."""
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {"ready_timeout": 60.0}
        if self.implicit_tls:
            if self._tls_context is None:
                raise ValueError("implicit_tls needs a tls_context")
            kwargs["ssl_context"] = self._tls_context
        elif self._tls_context is not None:
            kwargs["tls_context"] = self._tls_context
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        controller = _Controller(self, _Handler(self), **kwargs)
        controller.start()
        self._controller = controller
        with self._lock:  # aiosmtpd's own start-up check is not a client
            self._connections = 0
            self._servers.clear()
        return self

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the SMTP server is not running")
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """The server as a mail URL, without credentials: smtp://127.0.0.1:PORT (smtps://
        with implicit TLS)."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{HOST}:{self.port}"

    # Scripting -----------------------------------------------------------------------

    def script(self, behaviours: Iterable[str]) -> None:
        """Queue behaviours for the next transactions, in order (checked at once)."""
        parsed = [Behaviour.parse(spec) for spec in behaviours]
        with self._lock:
            self._script.extend(parsed)

    def drop_connections(self) -> None:
        """Close every open client connection now (as an idle timeout would) and
        return once they are closed."""
        controller = self._controller
        if controller is None:
            return
        with self._lock:
            servers = list(self._servers)

        async def close_all() -> None:
            for server in servers:
                if _is_open(server):
                    _hang_up(server)
            await asyncio.sleep(0)  # let the sockets actually close
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(close_all(), controller.loop).result()

    def clear(self) -> None:
        """Forget what was received and the remaining script."""
        with self._lock:
            self._received.clear()
            self._script.clear()

    # What arrived ----------------------------------------------------------------------

    @property
    def envelopes(self) -> list[Received]:
        """Every message taken so far (envelope and bytes), oldest first."""
        with self._lock:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message taken so far, parsed (policy=email.policy.default)."""
        return [received.message for received in self.envelopes]

    @property
    def connections(self) -> int:
        """How many client connections the server has accepted."""
        with self._lock:
            return self._connections

    # Called from the server thread -------------------------------------------------------

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def _connected(self, server: SMTP) -> None:
        with self._lock:
            self._connections += 1
            self._servers = [s for s in self._servers if _is_open(s)]
            self._servers.append(server)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        expected = self.credentials
        ok = (expected is not None and isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == expected[0]
              and auth_data.password.decode() == expected[1])
        return AuthResult(success=ok, handled=False)
