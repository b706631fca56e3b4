"""LaTeX to MathML: readable math, and never markup or script from the source text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from paperfeed.render.mathtext import ALLOWED_ATTRIBUTES, ALLOWED_ELEMENTS, render_math_text
from tests.hang import finishes

TEX_CHARS = "$\\{}^_<>&\"'=:/() abxyz"
OUTPUT_ATTRIBUTES = ALLOWED_ATTRIBUTES | {"alttext", "class"}


def fragment(text: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(str(render_math_text(text)), create_parent="div")


def assert_inert(text: str) -> lxml_html.HtmlElement:
    """Only MathML elements (and the fallback span) with allowlisted attributes come out."""
    root = fragment(text)
    for el in root.iter():
        if el is root:
            continue
        assert isinstance(el.tag, str), "comment or processing instruction in output"
        name = el.tag.split("}")[-1]
        assert name in ALLOWED_ELEMENTS or name == "span", name
        for attr, value in el.attrib.items():
            assert attr in OUTPUT_ATTRIBUTES, attr
            assert "javascript" not in value.lower() or attr == "alttext"
    return root


def test_inline_math_becomes_mathml() -> None:
    root = fragment(r"Bounds for $\alpha$-stable laws")
    maths = root.xpath("//math")
    assert len(maths) == 1
    assert maths[0].xpath(".//mi")[0].text == "α"
    assert maths[0].get("alttext") == r"\alpha"
    assert root.text_content().startswith("Bounds for ") and "-stable laws" in root.text_content()


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (r"$x$ and $y$", 2),
        (r"\(\frac{a}{b}\)", 1),
        (r"$$\sum_{i=1}^n i$$", 1),
        (r"\[\int_0^1 f\]", 1),
        (r"an $\ell_1$ penalty and $O(n \log n)$ time", 2),
        (r"$\mathbb{R}^3$", 1),
    ],
)
def test_each_math_segment_is_converted(text: str, count: int) -> None:
    assert len(fragment(text).xpath("//math")) == count


def test_display_math_is_a_block() -> None:
    assert fragment(r"$$x^2$$").xpath("//math/@display") == ["block"]
    assert fragment(r"$x^2$").xpath("//math/@display") == ["inline"]


@pytest.mark.parametrize(
    "text",
    [
        "costs $5 and more",  # one dollar: no math
        "plain text with no math",
    ],
)
def test_text_without_math_is_left_as_text(text: str) -> None:
    root = fragment(text)
    assert not root.xpath("//math")
    assert root.text_content() == text


def test_an_escaped_dollar_is_a_dollar_not_math() -> None:
    root = fragment(r"from \$5 to \$10 per $x$")
    assert root.text_content().startswith("from $5 to $10 per ")
    assert len(root.xpath("//math")) == 1


def test_markup_is_escaped_not_interpreted() -> None:
    text = "<script>alert(1)</script> & <b>bold</b> &amp; </title>]]>"
    root = assert_inert(text)
    assert root.text_content() == text
    assert not root.xpath("//script | //b")


NASTY_TEX = [
    r"$\href{javascript:alert(1)}{click}$",
    r"$\unicode{<img src=x onerror=alert(1)>}$",
    r"$\text{<script>alert(1)</script>}$",
    r"$\style{background:url(javascript:alert(1))}{x}$",
    r"$\color{red}{x}$",
    r"$\class{x}{y}$",
    r"$\def\a{\a\a}\a$",
    r"$\newcommand{\b}{\b\b}\b$",
    r"$\mathrm{<iframe src=javascript:alert(1)>}$",
    "$" + "{" * 5000 + "x" + "}" * 5000 + "$",
    "$" + r"\frac{" * 300 + "$",
    "$" + "x^" * 3000 + "x$",
    r"$x$</math><script>alert(1)</script>$y$",
    r"$\mathtt{</mi><img src=x onerror=alert(1)>}$",
    "$\\operatorname{\"onmouseover=alert(1)}$",
    r"$\begin{array}{c}<svg onload=alert(1)>\end{array}$",
    r"$\\\\$ $\$$ $\\$",
    "$\x00\x1b$",
]


@pytest.mark.parametrize("text", NASTY_TEX)
def test_hostile_tex_is_inert_and_never_hangs(text: str) -> None:
    # How fast: `python -m benchmarks hostile` (target < 1 s each).
    root = finishes(lambda: assert_inert(text))
    assert not root.xpath("//script | //img | //iframe | //svg")
    assert not root.xpath("//@href | //@src | //@style | //@mathcolor")


def test_hostile_tex_falls_back_to_its_source_text() -> None:
    text = r"$\href{javascript:alert(1)}{click}$"
    root = fragment(text)
    assert not root.xpath("//math")
    assert root.text_content() == text


def test_many_segments_are_bounded() -> None:
    text = " ".join(f"$x_{{{i}}}$" for i in range(500))
    root = finishes(lambda: assert_inert(text))  # how fast: `python -m benchmarks hostile`
    assert 0 < len(root.xpath("//math")) <= 60
    assert "$x_{499}$" in root.text_content()  # the rest stays readable as source


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list(TEX_CHARS)) | st.characters(), max_size=80))
def test_any_text_renders_to_inert_html(text: str) -> None:
    assert_inert(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "$", "\\href{", "javascript:", "<img ", "onerror=", "\\unicode{", "\\text{", "}", "{",
    "<", ">", "&", "\\alpha", "\\frac", "^", "_", "\\(", "\\)", "\\[", "\\]", "x", " ",
    "\\mathrm{", "\\style{", "\"", "'", "</math>", "<script>",
]), max_size=30))
def test_tex_like_soup_renders_to_inert_html(parts: list[str]) -> None:
    assert_inert("".join(parts))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (r'Schr\"odinger operators', "Schrödinger operators"),
        (r"The Erd\H{o}s-Ko-Rado theorem", "The Erdős-Ko-Rado theorem"),
        (r"\v{C}ech cohomology and {\"u}ber", "Čech cohomology and über"),
        (r"5\% of R\&D costs \$3", "5% of R&D costs $3"),
        (r"Holb{\ae}k and \o stergaard", "Holbæk and østergaard"),
        (r"\cdot and \command stay", r"\cdot and \command stay"),
    ],
)
def test_text_mode_tex_accents_read_as_letters(text: str, shown: str) -> None:
    assert fragment(text).text_content() == shown


def test_accents_never_produce_markup() -> None:
    root = assert_inert(r'\"<script>\H{<}\v{&}')
    assert not root.xpath("//script")
