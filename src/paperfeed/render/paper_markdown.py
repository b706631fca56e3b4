"""A paper as Markdown (``/papers/{id}.md``, what ``HfApi.read_paper`` reads): the title,
authors, arXiv link, dates, categories, counts, the site's page and the abstract.

Everything from the paper is shown literally: outside math, Markdown's special characters
are backslash-escaped (a title like ``<script>`` or ``*x*`` stays text) and TeX accents
become letters; math (``$…$`` and the other delimiters) is kept as its TeX source, with
``<``, ``>`` and ``&`` written as ``\\lt``, ``\\gt`` and ``\\&`` so a renderer without math
support cannot read HTML in it. Whitespace (line breaks included) is collapsed, so no
text can start a heading or a list of its own.
"""

from __future__ import annotations

import re

from paperfeed.render.mathtext import _SEGMENT, detex_text
from paperfeed.storage.models import Paper

_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$&=-])")
_IN_MATH = {"<": r"\lt ", ">": r"\gt ", "&": r"\&"}
_MATH_SPECIAL = re.compile(r"(?<!\\)&|[<>]")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def escape_markdown(text: str) -> str:
    """Plain text with every character Markdown could read as markup escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _math(source: str) -> str:
    return _MATH_SPECIAL.sub(lambda m: _IN_MATH[m.group(0)], source)


def markdown_text(text: str | None) -> str:
    """A title or abstract as one Markdown line: math kept as TeX, the rest literal."""
    text = _SPACES.sub(" ", _UNSAFE_CHARS.sub("", text or "")).strip()
    out: list[str] = []
    pos = 0
    for match in _SEGMENT.finditer(text):
        out.append(escape_markdown(detex_text(text[pos:match.start()])))
        out.append(_math(match.group(0)))
        pos = match.end()
    out.append(escape_markdown(detex_text(text[pos:])))
    return "".join(out)


def _field(name: str, value: str) -> str:
    return f"- **{name}:** {value}"


def paper_markdown(paper: Paper, page_url: str) -> str:
    """The Markdown document of `paper`; `page_url` is its page on this site."""
    arxiv = f"https://arxiv.org/abs/{paper.arxiv_id}"
    lines = [f"# {markdown_text(paper.title)}", ""]
    authors = [markdown_text(name) for name in paper.authors or []]
    if authors:
        lines += [_field("Authors", ", ".join(authors))]
    lines.append(_field("arXiv", f"[{escape_markdown(paper.arxiv_id)}](<{arxiv}>)"))
    if paper.published is not None:
        lines.append(_field("Published", paper.published.isoformat()))
    if paper.updated is not None and paper.updated != paper.published:
        lines.append(_field("Updated", f"{paper.updated.isoformat()} "
                            f"\\(v{int(paper.version or 1)}\\)"))
    categories = [escape_markdown(c) for c in paper.categories or []]
    if categories:
        lines.append(_field("Categories", ", ".join(categories)))
    for name, value in (("Comments", paper.arxiv_comment), ("Journal reference",
                        paper.journal_ref), ("DOI", paper.doi)):
        if value:
            lines.append(_field(name, markdown_text(value)))
    if paper.withdrawn:
        lines.append(_field("Status", "withdrawn"))
    lines.append(_field("Upvotes", str(int(paper.vote_count or 0))))
    lines.append(_field("Discussion", f"{int(paper.comment_count or 0)} comments"))
    lines.append(_field("Page", f"<{page_url}>"))
    abstract = _LIST_NUMBER.sub(r"\1\\\2", markdown_text(paper.abstract))  # "1." is no list
    lines += ["", "## Abstract", "", abstract or "(no abstract)", ""]
    return "\n".join(lines)
