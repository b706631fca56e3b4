"""Readers' comments: Markdown with TeX math, rendered on the server and sanitised.

- Markdown is parsed by markdown-it-py's CommonMark preset with raw HTML off, so any tag a
  reader types is shown as text. Headings, rules and images are turned off (a comment is
  paragraphs, emphasis, code, quotes, lists and links); links keep only ``http``,
  ``https`` and ``mailto`` targets (others stay as text) and get
  ``rel="nofollow ugc noopener"``.
- ``$…$`` and ``$$…$$`` (and ``\\(…\\)``, ``\\[…\\]``) are math, found by an inline rule so
  math inside code stays code. Each formula goes through :func:`mathtext.tex_to_mathml`
  (its bounds and MathML allowlist); one that cannot be rendered safely stays as its
  escaped source. At most :data:`MAX_MATH` formulas per comment are converted.
- Nesting (quotes in quotes, lists in lists) is capped at :data:`MAX_NESTING` levels:
  deeper content is cut off rather than parsed.
- The HTML produced is passed through ``nh3`` with :data:`TAGS` and :data:`ATTRIBUTES`, a
  second line of defence should the Markdown layer ever let something through.

:func:`render_comment` is pure and cached on the text; callers refuse over-long comments
before they get here (and anything past :data:`MAX_INPUT` characters is not rendered).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markupsafe import Markup

from paperfeed.render.mathtext import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_ELEMENTS,
    MAX_SEGMENT,
    tex_to_mathml,
)

MAX_NESTING = 12  # block/inline nesting levels markdown-it parses
MAX_MATH = 60  # formulas converted per comment; later ones stay as source
MAX_INPUT = 200_000  # characters rendered at all (the site's own limit is lower)

TAGS = frozenset({
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span",
    *ALLOWED_ELEMENTS,
})
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href"},
    "ol": {"start"},
    "span": {"class"},
    **{name: {*ALLOWED_ATTRIBUTES} for name in ALLOWED_ELEMENTS},
}
ATTRIBUTES["math"] = {*ALLOWED_ATTRIBUTES, "alttext"}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_SAFE_LINK = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)
# Characters HTML cannot carry: C0 controls (but tab/newline/CR), DEL, lone surrogates.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# One formula starting exactly here: $$…$$, $…$, \(…\) or \[…\] (as mathtext reads them).
_MATH = re.compile(
    r"\$\$(?P<dd>[^$]+?)(?<!\\)\$\$"
    r"|\$(?!\$)(?P<d>(?:\\.|[^$\\])+?)(?<!\\)\$"
    r"|\\\((?P<p>.+?)\\\)"
    r"|\\\[(?P<b>.+?)\\\]",
    re.DOTALL,
)
_MAX_FORMULA = MAX_SEGMENT + 10  # characters scanned for a formula's closing delimiter
# Link brackets past this many per comment are shown as text: markdown-it's link parser
# is quadratic in unclosed brackets, and no real comment has this many links.
MAX_BRACKETS = 1000


def _math_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: a formula at ``state.pos`` becomes one ``math`` token."""
    src, pos = state.src, state.pos
    first = src[pos]
    if first != "$" and not (first == "\\" and src[pos + 1 : pos + 2] in ("(", "[")):
        return False
    if pos > 0 and src[pos - 1] == "\\":
        return False
    match = _MATH.match(src[pos : pos + _MAX_FORMULA])
    if match is None:
        return False
    if not silent:
        token = state.push("math", "", 0)
        token.content = next(g for g in match.groups() if g is not None)
        token.markup = match.group(0)
        token.meta = {"display": match.group("dd") is not None or match.group("b") is not None}
    state.pos += match.end()
    return True


def _render_math(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    env["math"] = env.get("math", 0) + 1
    if env["math"] <= MAX_MATH:
        try:
            mathml = tex_to_mathml(token.content, display=token.meta["display"])
        except ValueError:
            pass
        else:
            alt = escape(token.content.strip(), quote=True)
            return mathml.replace("<math ", f'<math alttext="{alt}" ', 1)
    return f'<span class="tex">{escape(token.markup, quote=False)}</span>'


def _validate_link(url: str) -> bool:
    return bool(_SAFE_LINK.match(url.strip()))


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False,
                                   "maxNesting": MAX_NESTING})
    md.disable(["heading", "lheading", "hr", "image", "html_block", "html_inline"])
    md.inline.ruler.before("escape", "math", _math_rule)
    md.add_render_rule("math", _render_math)
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


_PARSER = _make_parser()


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "span" and attribute == "class":
        return value if value == "tex" else None
    return value


def sanitise(html: str) -> str:
    """`html` cut down to the comment allowlist (nh3)."""
    return nh3.clean(
        html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL, attribute_filter=_attribute_filter, strip_comments=True,
    )


@lru_cache(maxsize=4096)
def _render_cached(text: str) -> str:
    html = _PARSER.render(text, {})
    return sanitise(html)


def render_comment(text: str | None) -> Markup:
    """A comment's Markdown as safe HTML (see the module notes)."""
    if not text:
        return Markup("")
    text = _UNSAFE_CHARS.sub("", text[:MAX_INPUT])
    if text.count("[") > MAX_BRACKETS:
        text = text.replace("[", "&#91;")
    return Markup(_render_cached(text))
