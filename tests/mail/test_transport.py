"""Delivering mail against a real SMTP server on loopback (scripted failures, reused
connections, STARTTLS and login), into a Maildir, and reading mail URLs."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest

from paperfeed.mail.message import build_message
from paperfeed.mail.transport import (
    NO_SERVER,
    MailConfigError,
    MaildirConfig,
    MaildirTransport,
    MailError,
    PermanentFailure,
    SmtpConfig,
    SmtpTransport,
    TemporaryFailure,
    UnknownOutcome,
    get_maildir_message,
    open_transport,
    parse_smtp_url,
    read_maildir,
)
from tests.mail.smtpd import HOST, SmtpServer

SENDER = "Paper Club <digest@papers.example.org>"


def letter(n: int = 1, *, to: str = "Ada <ada@example.org>",
           html: str | None = None) -> EmailMessage:
    return build_message(sender=SENDER, to=to, subject=f"Letter {n}", text=f"Body {n}",
                         html=html, date=datetime(2026, 12, 1, 8, n, tzinfo=UTC))


def smtp(url: str, ssl_context: ssl.SSLContext | None = None) -> SmtpTransport:
    config = parse_smtp_url(url)
    assert isinstance(config, SmtpConfig)
    return SmtpTransport(config, ssl_context=ssl_context)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def transport(server: SmtpServer) -> Iterator[SmtpTransport]:
    with smtp(server.url) as opened:
        yield opened


def subjects(server: SmtpServer) -> list[str]:
    return [str(message["Subject"]) for message in server.messages]


# --- mail URLs --------------------------------------------------------------------------


def test_smtp_url_defaults() -> None:
    assert parse_smtp_url("smtp://mail.example.org") == SmtpConfig(
        scheme="smtp", host="mail.example.org", port=587, username=None, password="",
        starttls="auto", timeout=30.0)
    smtps = parse_smtp_url("smtps://mail.example.org")
    assert isinstance(smtps, SmtpConfig) and (smtps.scheme, smtps.port) == ("smtps", 465)


def test_smtp_url_credentials_are_percent_decoded() -> None:
    password = "p@ss:w/rd?#%é"
    config = parse_smtp_url(
        f"smtp://{quote('me@example.org', safe='')}:{quote(password, safe='')}"
        "@Mail.Example.org:2525?starttls=require&timeout=2.5")
    assert config == SmtpConfig(scheme="smtp", host="mail.example.org", port=2525,
                                username="me@example.org", password=password,
                                starttls="require", timeout=2.5)
    assert password not in repr(config)


def test_smtp_url_options_and_ipv6() -> None:
    config = parse_smtp_url("smtp://[::1]:25?starttls=off")
    assert isinstance(config, SmtpConfig)
    assert (config.host, config.port, config.starttls) == ("::1", 25, "off")
    assert config.address == "[::1]:25"


def test_maildir_url() -> None:
    assert parse_smtp_url("maildir:///var/mail/paperfeed") == MaildirConfig(
        Path("/var/mail/paperfeed"))
    assert parse_smtp_url("maildir://localhost/tmp/my%20box") == MaildirConfig(
        Path("/tmp/my box"))


@pytest.mark.parametrize("url", [
    "http://mail.example.org", "mail.example.org", "smtp://", "smtp://:25",
    "smtp://host:notaport", "smtp://host:99999", "smtp://host?starttls=maybe",
    "smtp://host?timeout=0", "smtp://host?timeout=-1", "smtp://host?timeout=nan",
    "smtp://host?tls=1", "smtp://host?timeout=1&timeout=2", "smtps://host?starttls=off",
    "smtp://host/path", "maildir://relative/box", "maildir://", "maildir:///",
    "maildir:///box?x=1",
])
def test_bad_mail_urls_are_config_errors(url: str) -> None:
    with pytest.raises(MailConfigError) as info:
        parse_smtp_url(url)
    assert "\n" not in str(info.value)


def test_errors_never_show_the_password() -> None:
    with pytest.raises(MailConfigError) as info:
        parse_smtp_url("smtp://me:s3cr3t@host?starttls=maybe")
    assert "s3cr3t" not in str(info.value)
    assert "me:***@host" in str(info.value)


def test_no_url_means_no_server() -> None:
    for url in ("", "   "):
        with pytest.raises(MailConfigError) as info:
            open_transport(url)
        assert str(info.value) == NO_SERVER == (
            "no mail server is configured: set PAPERFEED_SMTP_URL")


def test_mail_error_strings() -> None:
    assert str(PermanentFailure(550, "refused")) == "refused (SMTP 550)"
    assert str(MailConfigError(None, "bad")) == "bad"
    error = TemporaryFailure(421, "busy")
    assert (error.code, error.detail) == (421, "busy")
    assert isinstance(error, MailError) and isinstance(UnknownOutcome(None, "x"), MailError)


# --- SMTP -------------------------------------------------------------------------------


def test_messages_share_one_connection(server: SmtpServer,
                                       transport: SmtpTransport) -> None:
    for n in range(3):
        transport.send(letter(n))
    assert subjects(server) == ["Letter 0", "Letter 1", "Letter 2"]
    assert server.connections == 1
    first = server.envelopes[0]
    assert first.mail_from == "digest@papers.example.org"
    assert first.rcpt_tos == ("ada@example.org",)
    assert not first.tls  # the test server offers no STARTTLS: "auto" sends in clear


def test_the_message_arrives_intact(server: SmtpServer, transport: SmtpTransport) -> None:
    transport.send(letter(1, html="<style>p { color: red }</style><p>Hi</p>\n.\n..dots"))
    (message,) = server.messages
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content().replace("\r\n", "\n")
    assert '<p style="color: red;">Hi</p>' in content
    assert "\n.\n..dots" in content  # dot-stuffing undone by the server
    assert message["List-Id"] is None


def test_421_is_temporary_and_the_next_send_reconnects(
        server: SmtpServer, transport: SmtpTransport) -> None:
    server.script(["421", "accept"])
    with pytest.raises(TemporaryFailure) as info:
        transport.send(letter(1))
    assert info.value.code == 421
    transport.send(letter(2))
    assert subjects(server) == ["Letter 2"]
    assert server.connections == 2


@pytest.mark.parametrize(("script", "error", "code"), [
    ("550", PermanentFailure, 550),
    ("552 5.3.4 Message too big", PermanentFailure, 552),
    ("451", TemporaryFailure, 451),
    ("rcpt:550 5.1.1 No such user", PermanentFailure, 550),
    ("rcpt:450", TemporaryFailure, 450),
    ("rcpt:421", TemporaryFailure, 421),
    ("mail:451", TemporaryFailure, 451),
    ("mail:421", TemporaryFailure, 421),
    # A refused sender address is the site's problem, not a recipient's bounce.
    ("mail:553", MailConfigError, 553),
])
def test_replies_are_classified(server: SmtpServer, transport: SmtpTransport,
                                script: str, error: type[MailError], code: int) -> None:
    server.script([script])
    with pytest.raises(error) as info:
        transport.send(letter(1))
    assert type(info.value) is error
    assert info.value.code == code
    assert server.messages == []
    transport.send(letter(2))  # and the transport is usable again
    assert subjects(server) == ["Letter 2"]


def test_permanent_failure_names_the_reply(server: SmtpServer,
                                           transport: SmtpTransport) -> None:
    server.script(["rcpt:550 5.1.1 <ada@example.org>: no such user"])
    with pytest.raises(PermanentFailure) as info:
        transport.send(letter(1))
    assert "no such user" in str(info.value)
    assert "(SMTP 550)" in str(info.value)


def test_connection_lost_after_the_data_is_an_unknown_outcome(
        server: SmtpServer, transport: SmtpTransport) -> None:
    server.script(["drop-after-data"])
    with pytest.raises(UnknownOutcome) as info:
        transport.send(letter(1))
    assert "may have been delivered" in str(info.value)
    # The server did get it: sending it again would deliver it twice.
    assert subjects(server) == ["Letter 1"]
    transport.send(letter(2))
    assert subjects(server) == ["Letter 1", "Letter 2"]


def test_connection_lost_before_the_data_is_temporary(
        server: SmtpServer, transport: SmtpTransport) -> None:
    server.script(["drop-before-data"])
    with pytest.raises(TemporaryFailure) as info:
        transport.send(letter(1))
    assert info.value.code is None
    assert server.messages == []
    transport.send(letter(2))
    assert subjects(server) == ["Letter 2"]


def test_unknown_outcome_is_not_retried_even_on_a_reused_connection(
        server: SmtpServer, transport: SmtpTransport) -> None:
    transport.send(letter(1))
    server.script(["drop-after-data"])
    with pytest.raises(UnknownOutcome):
        transport.send(letter(2))
    assert subjects(server) == ["Letter 1", "Letter 2"]
    assert server.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced(
        server: SmtpServer, transport: SmtpTransport) -> None:
    transport.send(letter(1))
    server.drop_connections()
    transport.send(letter(2))  # no error: nothing had been sent on the dead connection
    assert subjects(server) == ["Letter 1", "Letter 2"]
    assert server.connections == 2


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_temporary() -> None:
    with smtp(f"smtp://{HOST}:{free_port()}") as transport, \
            pytest.raises(TemporaryFailure) as info:
        transport.send(letter(1))
    assert "could not connect" in str(info.value)
    assert info.value.code is None


def test_a_server_that_goes_away_and_comes_back() -> None:
    with SmtpServer() as first:
        transport = smtp(first.url)
        transport.send(letter(1))
        url = first.url
    with pytest.raises(TemporaryFailure):
        transport.send(letter(2))  # the server is gone: refused
    assert parse_smtp_url(url) == transport.config


def test_close_says_goodbye_and_the_transport_can_be_used_again(
        server: SmtpServer) -> None:
    transport = smtp(server.url)
    with transport:
        transport.send(letter(1))
    transport.close()  # twice is fine
    transport.send(letter(2))
    transport.close()
    assert server.connections == 2
    assert subjects(server) == ["Letter 1", "Letter 2"]


def test_a_message_without_recipients_is_a_programming_error(
        transport: SmtpTransport) -> None:
    message = letter(1)
    del message["To"]
    with pytest.raises(ValueError):
        transport.send(message)


def test_starttls_required_but_not_offered_sends_nothing(server: SmtpServer) -> None:
    with smtp(f"{server.url}?starttls=require") as transport, \
            pytest.raises(MailConfigError, match="STARTTLS"):
        transport.send(letter(1))
    assert server.messages == []


def test_open_transport_gives_a_working_smtp_transport(server: SmtpServer) -> None:
    with open_transport(server.url) as transport:
        assert isinstance(transport, SmtpTransport)
        transport.send(letter(1))
    assert subjects(server) == ["Letter 1"]


# --- login --------------------------------------------------------------------------------

PASSWORD = "p@ss:w/rd?#%"


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    with SmtpServer(credentials=("me@example.org", PASSWORD)) as running:
        yield running


def auth_url(server: SmtpServer, password: str) -> str:
    return (f"smtp://{quote('me@example.org', safe='')}:{quote(password, safe='')}"
            f"@{HOST}:{server.port}")


def test_login_with_a_percent_encoded_password(auth_server: SmtpServer) -> None:
    with smtp(auth_url(auth_server, PASSWORD)) as transport:
        transport.send(letter(1))
        transport.send(letter(2))
    assert subjects(auth_server) == ["Letter 1", "Letter 2"]
    assert all(received.authenticated for received in auth_server.envelopes)


def test_a_refused_login_is_a_config_error(auth_server: SmtpServer) -> None:
    with smtp(auth_url(auth_server, "wrong")) as transport, \
            pytest.raises(MailConfigError) as info:
        transport.send(letter(1))
    assert info.value.code == 535
    assert "wrong" not in str(info.value)
    assert auth_server.messages == []


# --- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (made with openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}"],
        check=True, capture_output=True)
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.mark.parametrize("starttls", ["auto", "require"])
def test_starttls_is_used_when_offered(certificate: tuple[Path, Path],
                                       starttls: str) -> None:
    with SmtpServer(tls_context=server_context(certificate)) as server, \
            smtp(f"{server.url}?starttls={starttls}",
                 ssl_context=client_context(certificate)) as transport:
        transport.send(letter(1))
        transport.send(letter(2))
        assert [received.tls for received in server.envelopes] == [True, True]
        assert server.connections == 1


def test_starttls_off_sends_in_clear(certificate: tuple[Path, Path]) -> None:
    with SmtpServer(tls_context=server_context(certificate)) as server, \
            smtp(f"{server.url}?starttls=off") as transport:
        transport.send(letter(1))
        assert [received.tls for received in server.envelopes] == [False]


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    with SmtpServer(tls_context=server_context(certificate), implicit_tls=True) as server, \
            smtp(server.url, ssl_context=client_context(certificate)) as transport:
        assert server.url.startswith("smtps://")
        transport.send(letter(1))
        assert [received.tls for received in server.envelopes] == [True]


def test_an_untrusted_certificate_is_a_config_error(certificate: tuple[Path, Path]) -> None:
    with SmtpServer(tls_context=server_context(certificate)) as server, \
            smtp(server.url) as transport, \
            pytest.raises(MailConfigError, match="certificate"):
        transport.send(letter(1))  # the system's CAs do not know our certificate
    assert server.messages == []


# --- Maildir --------------------------------------------------------------------------------


def test_maildir_transport_writes_and_read_maildir_reads_newest_first(
        tmp_path: Path) -> None:
    box = tmp_path / "mailbox"
    with open_transport(f"maildir://{box}") as transport:
        assert isinstance(transport, MaildirTransport)
        for n in range(1, 4):
            transport.send(letter(n, html=f"<p>HTML {n}</p>"))
    stored = read_maildir(box)
    assert [mail.subject for mail in stored] == ["Letter 3", "Letter 2", "Letter 1"]
    newest = stored[0]
    assert newest.to == "Ada <ada@example.org>"
    assert newest.sender == SENDER
    assert newest.date == datetime(2026, 12, 1, 8, 3, tzinfo=UTC)
    assert newest.text.strip() == "Body 3"
    assert newest.html is not None and "<p>HTML 3</p>" in newest.html
    assert b"Subject: Letter 3" in newest.raw
    assert [mail.subject for mail in read_maildir(box, limit=2)] == ["Letter 3", "Letter 2"]
    assert get_maildir_message(box, newest.key) == newest


def test_text_only_mail_has_no_html(tmp_path: Path) -> None:
    MaildirTransport(tmp_path / "box").send(letter(1))
    (stored,) = read_maildir(tmp_path / "box")
    assert stored.html is None
    assert stored.text.strip() == "Body 1"


@pytest.mark.parametrize("key", [
    "", ".", "..", "../secret", "/etc/passwd", "a/b", "new", "cur/x", "x\x00", "x y",
    "1700000000.M1P1Q1.nohost",
])
def test_get_maildir_message_refuses_bad_or_unknown_keys(tmp_path: Path, key: str) -> None:
    MaildirTransport(tmp_path / "box").send(letter(1))
    (tmp_path / "secret").write_text("Subject: secret\n\nsecret\n")
    assert get_maildir_message(tmp_path / "box", key) is None


def test_a_missing_maildir_reads_as_empty(tmp_path: Path) -> None:
    assert read_maildir(tmp_path / "none") == []
    assert get_maildir_message(tmp_path / "none", "1.M1P1Q1.host") is None
    assert not (tmp_path / "none").exists()


def test_an_unwritable_maildir_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(MailConfigError, match="Maildir"):
        MaildirTransport(tmp_path / "file" / "box").send(letter(1))
