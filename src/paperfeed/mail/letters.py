"""Letters as the site writes them: a subject, a plain-text part and an HTML part in
the site's mail frame with its CSS inlined (no scripts, no remote images, no tracking).

:func:`notice` writes the short ones (a confirmation link, a reminder, a password
reset); the digest renderer (``digest/emails.py``) builds on the same frame and CSS.
Everything given as text is escaped in the HTML and left plain in the text part."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from paperfeed.config import Settings
from paperfeed.mail.message import inline_css

TEMPLATES = Path(__file__).with_name("templates")
BODY = "<!--pf:body-->"


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    text: str
    html: str
    # True when the HTML's CSS is inlined and it passed check_html already (or was put
    # together only from pieces that did, with escaped text between them).
    html_checked: bool = False


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(["html"]), auto_reload=False)


@lru_cache(maxsize=1)
def css() -> str:
    """The stylesheet of every letter."""
    return (TEMPLATES / "mail.css").read_text(encoding="utf-8")


def inline_fragment(html: str) -> str:
    """A piece of a letter's body with the letters' CSS written into its elements."""
    import css_inline

    return str(css_inline.inline_fragment(html, css()))


def frame(settings: Settings, subject: str, heading: str, footer_html: str) -> str:
    """The whole HTML of a letter with :data:`BODY` where its body goes, CSS inlined."""
    html = _environment().get_template("frame.html").render(
        subject=subject, heading=heading, footer=footer_html, css=css(),
        site_name=settings.site_name, base_url=settings.base_url.rstrip("/"))
    return inline_css(html)


def split(html: str, marker: str) -> tuple[str, str]:
    """The HTML before and after `marker` (ValueError if a template lost it)."""
    before, found, after = html.partition(marker)
    if not found:
        raise ValueError(f"template lost its {marker} marker")
    return before, after


def notice(settings: Settings, *, subject: str, paragraphs: list[str],
           button: tuple[str, str] | None = None, after: list[str] | None = None) -> Letter:
    """A short letter (a confirmation link, a reminder): paragraphs of plain text, an
    optional button (label, URL), more paragraphs."""
    base_url = settings.base_url.rstrip("/")
    html: list[str] = [f"<p>{escape(p)}</p>" for p in paragraphs]
    text: list[str] = [*paragraphs]
    if button is not None:
        label, url = button
        html.append(f'<p><a class="button" href="{escape(url)}">{escape(label)}</a></p>')
        html.append(f'<p class="small">Or open this address: {escape(url)}</p>')
        text.append(f"{label}: {url}")
    for paragraph in after or []:
        html.append(f'<p class="small">{escape(paragraph)}</p>')
        text.append(paragraph)
    footer = (f'Sent by <a href="{escape(base_url)}/">{escape(settings.site_name)}</a> '
              f"({escape(base_url)}).")
    top, bottom = split(frame(settings, subject, subject, footer), BODY)
    body = inline_fragment("".join(html))
    plain = "\n\n".join(text) + f"\n\n-- \n{settings.site_name} ({base_url}/)\n"
    return Letter(subject, plain, top + body + bottom)
