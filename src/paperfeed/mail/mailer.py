"""Where this site's mail goes, and the one way everything it sends is addressed and
sent (digests, subscription notices, account verification and password resets).

``PAPERFEED_SMTP_URL`` names the server (or a Maildir). In demo mode without one, mail
goes to a Maildir in the data directory that the demo site shows at ``/mailbox``, so
the whole subscribe-confirm-receive loop is visible without a mail server."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from paperfeed.config import Settings
from paperfeed.mail.letters import Letter
from paperfeed.mail.message import build_message
from paperfeed.mail.transport import MailConfigError, Transport, open_transport


def demo_mailbox(settings: Settings) -> Path | None:
    """The demo's Maildir, when mail goes there (demo mode, no SMTP URL)."""
    if settings.demo and not settings.smtp_url:
        return settings.data_dir / "mailbox"
    return None


def mail_url(settings: Settings) -> str:
    box = demo_mailbox(settings)
    if box is not None:
        return f"maildir://{box.resolve()}"
    return settings.smtp_url


def transport(settings: Settings) -> Transport:
    """An open transport for the configured server; MailConfigError when none is set."""
    url = mail_url(settings)
    if not url:
        raise MailConfigError(None, "no mail server is configured: set PAPERFEED_SMTP_URL")
    return open_transport(url)


def site_host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


def message(settings: Settings, to: str, letter: Letter, *, list_name: str | None = None,
            unsubscribe_url: str | None = None) -> EmailMessage:
    """A letter addressed from the site to `to`; digests carry their List-Id and the
    one-click unsubscribe headers."""
    list_id = None
    if list_name is not None:
        list_id = f"{settings.site_name} {list_name} <{list_name}.{site_host(settings)}>"
    return build_message(
        sender=settings.mail_from, to=to, subject=letter.subject, text=letter.text,
        html=letter.html, list_id=list_id, unsubscribe_url=unsubscribe_url,
        headers={"Auto-Submitted": "auto-generated"} if list_name else None,
        html_checked=letter.html_checked,
    )


def send(settings: Settings, to: str, letter: Letter) -> None:
    """Mail one letter now, on a connection of its own (the transport's MailError when
    it cannot be sent)."""
    with transport(settings) as connection:
        connection.send(message(settings, to, letter))
