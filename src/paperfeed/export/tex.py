"""Untrusted text as the value of a BibTeX field: what arXiv writes in TeX stays TeX
(math between ``$…$``, ``\\(…\\)``, ``\\[…\\]``; commands; accents), and everything that
would break BibTeX or TeX is escaped:

- ``%``, ``&``, ``#``, ``_``, ``^`` and a lone ``$`` outside math become ``\\%``, ``\\&``,
  ``\\#``, ``\\_``, ``\\^{}`` and ``\\$`` (an already escaped ``\\%`` is left alone);
  ``%`` and ``#`` inside math are escaped too (they would end or break the formula);
- braces are balanced: a brace without its partner (BibTeX counts ``\\{`` as a brace
  too) becomes ``\\textbraceleft{}``/``\\textbraceright{}`` in text and
  ``\\lbrace{}``/``\\rbrace{}`` in math, so a field can never end early or swallow the
  next one;
- a trailing backslash becomes ``\\textbackslash{}``; control characters and line breaks
  become spaces.
"""

from __future__ import annotations

import re

from paperfeed.export.text import one_line

# A math segment: $$…$$, $…$, \(…\) or \[…\] (as render.mathtext finds them).
_MATH = re.compile(
    r"(?<!\\)\$\$.+?(?<!\\)\$\$"
    r"|(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?(?<!\\)\$"
    r"|\\\(.+?\\\)"
    r"|\\\[.+?\\\]",
    re.DOTALL,
)
_TEXT_SPECIAL = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}", "$": r"\$"}
_MATH_SPECIAL = {"%": r"\%", "#": r"\#"}
_UNMATCHED = {  # (brace, in math) -> replacement
    ("{", False): r"\textbraceleft{}", ("}", False): r"\textbraceright{}",
    ("{", True): r"\lbrace{}", ("}", True): r"\rbrace{}",
}


def _escape_piece(piece: str, special: dict[str, str]) -> list[str]:
    """Tokens of one piece: an escaped pair (``\\x``), a command, or one character,
    with the special characters escaped."""
    out: list[str] = []
    i = 0
    while i < len(piece):
        ch = piece[i]
        if ch == "\\":
            if i + 1 == len(piece):
                out.append(r"\textbackslash{}")
                i += 1
                continue
            out.append(piece[i : i + 2])  # \% \{ \" \a ...: already TeX
            i += 2
            continue
        out.append(special.get(ch, ch))
        i += 1
    return out


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(token, in math) for the whole text."""
    tokens: list[tuple[str, bool]] = []
    pos = 0
    for match in _MATH.finditer(text):
        tokens.extend((t, False) for t in _escape_piece(text[pos : match.start()],
                                                         _TEXT_SPECIAL))
        tokens.extend((t, True) for t in _escape_piece(match.group(0), _MATH_SPECIAL))
        pos = match.end()
    tokens.extend((t, False) for t in _escape_piece(text[pos:], _TEXT_SPECIAL))
    return tokens


def _balance(tokens: list[tuple[str, bool]]) -> str:
    """Join the tokens, replacing every brace (bare or escaped) that has no partner of
    its own kind."""
    unmatched: set[int] = set()
    stacks: dict[str, list[int]] = {"{": [], "\\{": []}
    for index, (token, _math) in enumerate(tokens):
        if token in ("{", "\\{"):
            stacks[token].append(index)
        elif token in ("}", "\\}"):
            opener = stacks["{" if token == "}" else "\\{"]
            if opener:
                opener.pop()
            else:
                unmatched.add(index)
    for stack in stacks.values():
        unmatched.update(stack)
    return "".join(
        _UNMATCHED[(token[-1], math)] if index in unmatched else token
        for index, (token, math) in enumerate(tokens)
    )


def tex_field(text: str | None) -> str:
    """The text, on one line, safe as the inside of a braced BibTeX field."""
    return _balance(_tokens(one_line(text)))


def tex_plain(text: str | None) -> str:
    """Like :func:`tex_field` but for text that holds no math (names, notes): every
    ``$`` is a dollar sign."""
    line = one_line(text)
    return _balance([(t, False) for t in _escape_piece(line, _TEXT_SPECIAL)])
