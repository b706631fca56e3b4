"""A paper's Markdown (``/papers/{id}.md``): whatever the title, authors or abstract hold,
a Markdown renderer shows them literally; math stays as TeX."""

from __future__ import annotations

from datetime import date

from lxml import html as lxml_html
from markdown_it import MarkdownIt

from paperfeed.render.paper_markdown import markdown_text, paper_markdown
from paperfeed.storage.models import Paper


def _paper(**fields: object) -> Paper:
    values: dict[str, object] = {
        "arxiv_id": "2411.00001", "version": 1, "title": "A title", "abstract": "Text.",
        "authors": ["Ann Author"], "categories": ["cs.LG"], "published": date(2024, 11, 1),
        "vote_count": 3, "comment_count": 2, "withdrawn": False,
    }
    values.update(fields)
    return Paper(**values)


def _rendered(markdown: str) -> lxml_html.HtmlElement:
    """The document as a CommonMark renderer with raw HTML allowed would show it."""
    return lxml_html.fragment_fromstring(MarkdownIt("commonmark").render(markdown),
                                         create_parent="div")


def test_hostile_text_is_shown_literally_by_a_markdown_renderer() -> None:
    title = "<script>alert(1)</script> *x* _y_ [link](javascript:alert(2)) `code` &amp;"
    paper = _paper(title=title, authors=["Mallory <i>Evil</i>", "# Eve\n- item"],
                   abstract="1. Not a list\n\n# Not a heading\n<img src=x onerror=alert(3)>",
                   categories=["cs.CR", "<b>x</b>"])
    doc = _rendered(paper_markdown(paper, "https://papers.example/papers/2411.00001"))
    assert doc.xpath("//script|//img|//i|//b|//em|//strong[contains(., 'x')]|//code|//ol") == []
    assert [h.text_content() for h in doc.xpath("//h1")] == [title]
    assert [h.text_content() for h in doc.xpath("//h2")] == ["Abstract"]
    text = doc.text_content()
    assert "Mallory <i>Evil</i>, # Eve - item" in text
    assert "1. Not a list # Not a heading <img src=x onerror=alert(3)>" in text
    links = [a.get("href") for a in doc.xpath("//a")]
    assert links == ["https://arxiv.org/abs/2411.00001",
                     "https://papers.example/papers/2411.00001"]


def test_math_stays_tex_and_tex_accents_become_letters() -> None:
    text = markdown_text(r"Schr\"odinger bounds $a<b \& c_{i}$ for 5\% of $\alpha$-nets")
    assert text == r"Schrödinger bounds $a\lt b \& c_{i}$ for 5% of $\alpha$\-nets"


def test_fields_a_reader_looks_for() -> None:
    paper = _paper(arxiv_id="hep-th/9901001", version=3, updated=date(1999, 3, 1),
                   doi="10.1000/xyz", journal_ref="J. Old 1 (1999)",
                   arxiv_comment="12 pages", published=date(1999, 1, 4))
    lines = paper_markdown(paper, "https://x.example/papers/hep-th/9901001").splitlines()
    assert lines[0] == "# A title"
    assert "- **Authors:** Ann Author" in lines
    assert "- **arXiv:** [hep\\-th/9901001](<https://arxiv.org/abs/hep-th/9901001>)" in lines
    assert "- **Published:** 1999-01-04" in lines
    assert "- **Updated:** 1999-03-01 \\(v3\\)" in lines
    assert "- **DOI:** 10.1000/xyz" in lines
    assert "- **Upvotes:** 3" in lines and "- **Discussion:** 2 comments" in lines
    assert "- **Page:** <https://x.example/papers/hep-th/9901001>" in lines
    assert lines[-3:] == ["## Abstract", "", "Text."]
