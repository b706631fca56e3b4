"""LaTeX in titles and abstracts, rendered as MathML on the server; everything else escaped.

Source text is untrusted. Only ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` segments are
handed to latex2mathml; its output is parsed as XML and rebuilt from an allowlist of
MathML elements and attributes (values restricted to a plain character set). Anything
unexpected -- a converter error, an unknown element, an ``href`` or ``style`` attribute,
output that does not parse, input or output over the size bounds -- falls back to the
escaped source text of that segment. The result never contains markup from the source.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import escape

from lxml import etree
from markupsafe import Markup

MAX_SEGMENT = 400  # characters of TeX in one math segment
MAX_SEGMENTS = 60  # math segments converted per text; the rest stay as source
MAX_OUTPUT = 12_000  # characters of MathML produced per segment
MAX_DEPTH = 40  # element nesting in the produced MathML
MAX_BRACES = 12  # nesting of {…} in the source

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

ALLOWED_ELEMENTS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
        "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable",
        "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "mfenced", "merror",
        "semantics", "annotation", "mmultiscripts", "mprescripts", "none",
    }
)
ALLOWED_ATTRIBUTES = frozenset(
    {
        "display", "mathvariant", "stretchy", "fence", "form", "separator", "lspace",
        "rspace", "accent", "accentunder", "columnalign", "columnlines", "rowlines",
        "rowspacing", "columnspacing", "rowalign", "frame", "framespacing", "linethickness",
        "minsize", "maxsize", "movablelimits", "symmetric", "largeop", "width", "height",
        "depth", "displaystyle", "scriptlevel", "notation", "open", "close", "separators",
        "align", "columnspan", "rowspan", "voffset", "equalrows", "equalcolumns",
    }
)
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9 .,%+#-]{0,64}$")

# A math segment: $$…$$, $…$, \(…\) or \[…\]; a backslash-escaped \$ is a literal dollar.
_SEGMENT = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"
    r"|(?<![\\$])\$(?!\$)(?P<d>(?:\\.|[^$\\])+?)(?<!\\)\$"
    r"|\\\((?P<p>.+?)\\\)"
    r"|\\\[(?P<b>.+?)\\\]",
    re.DOTALL,
)

# Characters HTML cannot carry: C0 controls (but tab/newline/CR), DEL, lone surrogates.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
    remove_pis=True, load_dtd=False,
)


# Text-mode TeX accents and escapes outside math (Schr\"odinger, Erd\H{o}s, 5\%).
_COMBINING = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "v": "\u030c", "u": "\u0306", "H": "\u030b",
    "c": "\u0327", "k": "\u0328",
}
_LETTER = r"(?:\{\\?([A-Za-z])\}|\\?([A-Za-z]))"
_BRACED_ACCENT = re.compile(r"\{\\([`'^\"~=.uvHck])\s*" + _LETTER + r"\}")
_ACCENT = re.compile(r"\\([`'^\"~=.]|[uvHck](?=[{\s]))\s*" + _LETTER)
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "aa": "å", "AA": "Å", "l": "ł",
    "L": "Ł", "i": "ı", "oe": "œ", "OE": "Œ",
}
_NAMES = r"(ss|ae|AE|aa|AA|oe|OE|[oOlLi])"
_LETTER_COMMAND = re.compile(r"\{\\" + _NAMES + r"\}|\\" + _NAMES + r"(?![A-Za-z]) ?")
_TEXT_ESCAPES = {"\\&": "&", "\\%": "%", "\\_": "_", "\\$": "$", "\\#": "#"}
_TEXT_ESCAPE = re.compile(r"\\[&%_$#]")


def _accent(match: re.Match[str]) -> str:
    letter = match.group(2) or match.group(3)
    return unicodedata.normalize("NFC", letter + _COMBINING[match.group(1)])


def detex_text(text: str) -> str:
    """Common TeX accents and escaped characters in running text, as Unicode."""
    if "\\" not in text:
        return text
    text = _BRACED_ACCENT.sub(_accent, text)
    text = _ACCENT.sub(_accent, text)
    text = _LETTER_COMMAND.sub(lambda m: _LETTERS[m.group(1) or m.group(2)], text)
    return _TEXT_ESCAPE.sub(lambda m: _TEXT_ESCAPES[m.group(0)], text)


class UnsafeMath(ValueError):
    """The converter's output is not plain MathML from the allowlist."""


def _brace_depth(tex: str) -> int:
    depth = deepest = 0
    for ch in tex:
        if ch == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == "}":
            depth = max(0, depth - 1)
    return deepest


def _serialise(element: etree._Element, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise UnsafeMath("too deep")
    tag = element.tag
    if not isinstance(tag, str):
        raise UnsafeMath("unexpected node")
    qname = etree.QName(tag)
    if qname.namespace not in (None, MATHML_NS) or qname.localname not in ALLOWED_ELEMENTS:
        raise UnsafeMath(f"element {qname.localname!r} is not allowed")
    name = qname.localname
    parts = [name]
    for key, value in element.attrib.items():
        attr = etree.QName(key)
        if attr.namespace is not None or attr.localname not in ALLOWED_ATTRIBUTES:
            raise UnsafeMath(f"attribute {attr.localname!r} is not allowed")
        if not _SAFE_VALUE.match(value):
            raise UnsafeMath(f"attribute value {value!r} is not allowed")
        parts.append(f'{attr.localname}="{escape(value, quote=True)}"')
    out.append("<" + " ".join(parts) + ">")
    if element.text:
        out.append(escape(element.text, quote=False))
    for child in element:
        _serialise(child, out, depth + 1)
        if child.tail:
            out.append(escape(child.tail, quote=False))
    out.append(f"</{name}>")


def tex_to_mathml(tex: str, *, display: bool = False) -> str:
    """One TeX formula as sanitised MathML; raises ValueError (or UnsafeMath) when it
    cannot be rendered safely within the bounds."""
    from latex2mathml.converter import convert

    tex = tex.strip()
    if not tex or len(tex) > MAX_SEGMENT or _brace_depth(tex) > MAX_BRACES:
        raise UnsafeMath("formula empty or too large")
    if "\\def" in tex or "\\newcommand" in tex or "\\let" in tex:
        raise UnsafeMath("macro definitions are not rendered")
    try:
        raw = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # the converter raises many kinds of errors on odd input
        raise UnsafeMath(f"converter failed: {type(exc).__name__}") from None
    if len(raw) > MAX_OUTPUT:
        raise UnsafeMath("output too large")
    try:
        root = etree.fromstring(raw.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        raise UnsafeMath("converter output is not well-formed") from None
    if etree.QName(root.tag).localname != "math":
        raise UnsafeMath("output is not a math element")
    out: list[str] = []
    _serialise(root, out, 0)
    return "".join(out)


def _segment_html(source: str, tex: str, display: bool) -> str:
    try:
        mathml = tex_to_mathml(tex, display=display)
    except ValueError:
        return f'<span class="tex">{escape(source, quote=False)}</span>'
    # Keep the source for copy/paste and for readers whose browser lacks MathML.
    return mathml.replace("<math ", f'<math alttext="{escape(tex.strip(), quote=True)}" ', 1)


@lru_cache(maxsize=8192)
def _render_cached(text: str) -> str:
    out: list[str] = []
    pos = 0
    for converted, match in enumerate(_SEGMENT.finditer(text)):
        if converted >= MAX_SEGMENTS:
            break
        out.append(escape(detex_text(text[pos : match.start()]), quote=False))
        tex = next(g for g in match.groups() if g is not None)
        display = match.group("dd") is not None or match.group("b") is not None
        out.append(_segment_html(match.group(0), tex, display))
        pos = match.end()
    out.append(escape(detex_text(text[pos:]), quote=False))
    return "".join(out)


def render_math_text(text: str | None) -> Markup:
    """HTML for a title or abstract: math segments as MathML, the rest escaped."""
    if not text:
        return Markup("")
    return Markup(_render_cached(_UNSAFE_CHARS.sub("", text)))


def plain_text(text: str | None) -> str:
    """The text with math delimiters kept, for <title> and attributes (escaped by Jinja)."""
    return text or ""
