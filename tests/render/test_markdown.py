"""Comment Markdown: what readers may format, math as MathML, and hostile input inert."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from paperfeed.render.markdown import MAX_NESTING, TAGS, render_comment


def _doc(markup: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(markup or "<p></p>", create_parent="div")


def _tags(markup: str) -> set[str]:
    return {el.tag.split("}")[-1] for el in _doc(markup).iter() if isinstance(el.tag, str)} - {
        "div"}


def _assert_inert(markup: str) -> None:
    """No element or attribute outside the allowlist; no script-bearing attribute."""
    doc = _doc(markup)
    assert _tags(markup) <= TAGS
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert name in {"href", "rel", "class", "alttext", "display", "start", "stretchy",
                            "fence", "form", "separator", "mathvariant", "lspace", "rspace",
                            "accent", "movablelimits", "largeop", "symmetric", "width",
                            "columnalign", "rowspacing", "columnspacing", "linethickness",
                            "minsize", "maxsize", "notation"}, name
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:")), value


def test_everyday_markdown() -> None:
    out = render_comment(
        "Nice *result* and **strong** claim, see `code`.\n\n"
        "> a quote\n\n- one\n- two\n\n3. three\n4. four\n\n```\nx = 1 < 2\n```"
    )
    assert _tags(out) == {"p", "em", "strong", "code", "blockquote", "ul", "ol", "li", "pre"}
    assert 'start="3"' in out
    assert "x = 1 &lt; 2" in out


def test_links_are_nofollow_and_only_web_or_mail() -> None:
    out = render_comment("[paper](https://arxiv.org/abs/2411.00001) <mailto:a@b.org> "
                         "[rel](/admin) [js](javascript:alert(1)) [data](data:text/html,x)")
    doc = _doc(out)
    links = doc.xpath("//a")
    assert [a.get("href") for a in links] == ["https://arxiv.org/abs/2411.00001",
                                             "mailto:a@b.org"]
    assert {a.get("rel") for a in links} == {"nofollow ugc noopener"}
    text = doc.text_content()
    assert "[js](javascript:alert(1))" in text and "[rel](/admin)" in text


def test_headings_rules_and_images_are_plain_text() -> None:
    out = render_comment("# Big\n\n---\n\n![tracker](https://evil.example/pixel.png)")
    assert _tags(out) <= {"p", "a"}
    assert "<img" not in out and "<h1" not in out and "<hr" not in out
    assert "# Big" in _doc(out).text_content()


def test_math_becomes_mathml() -> None:
    out = render_comment(r"Inline $x^2$ and display $$\frac{a}{b}$$ but `$y$` is code.")
    doc = _doc(out)
    maths = doc.xpath("//*[local-name()='math']")
    assert [m.get("display") for m in maths] == ["inline", "block"]
    assert maths[0].get("alttext") == "x^2"
    assert doc.xpath("//code")[0].text == "$y$"
    assert r"\$5" not in render_comment(r"It costs \$5 and \$6.")
    assert "<math" not in render_comment(r"It costs \$5 and \$6.")


def test_math_that_cannot_render_stays_as_source() -> None:
    out = render_comment(r"$\href{javascript:alert(1)}{x}$ and $\def\a{b}\a$")
    _assert_inert(out)
    assert "<math" not in out
    assert r"\href{javascript:alert(1)}{x}" in _doc(out).text_content()


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "<javascript:alert(1)>",
    '<svg onload="alert(1)"><circle/></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<!-- <img src=x onerror=alert(1)> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '[a](https://x.org "title" onmouseover="alert(1)")',
    "[a](<https://x.org\"onmouseover=\"alert(1)>)",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "$<script>alert(1)</script>$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\mathrm{\unicode{60}script\unicode{62}}$",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "**unclosed *emphasis [link( `code",
    "[[[[[[[[((((((((",
    "\x00\x01<scr\x00ipt>alert(1)</script>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_inert(text: str) -> None:
    out = render_comment(text)
    _assert_inert(out)
    assert "<script" not in out.lower()
    assert "javascript:" not in "".join(
        v for el in _doc(out).iter() if isinstance(el.tag, str) for v in el.attrib.values())


def test_typed_tags_are_shown_as_text() -> None:
    out = render_comment("Use <b>bold</b> & <script>alert(1)</script>")
    assert _doc(out).text_content().strip() == "Use <b>bold</b> & <script>alert(1)</script>"


def test_five_thousand_nested_quotes_are_capped() -> None:
    out = render_comment("> " * 5000 + "deep")
    _assert_inert(out)
    assert out.count("<blockquote>") <= MAX_NESTING
    also = render_comment(">" * 5000 + " deep\n\nafter")
    assert also.count("<blockquote>") <= MAX_NESTING
    lists = render_comment("- " * 5000 + "deep")
    assert lists.count("<ul>") <= MAX_NESTING


@pytest.mark.parametrize("text", [
    "x" * 100_000,
    "[" * 20_000,
    "*a" * 10_000,
    "\\(" * 10_000,
    "$a" * 10_000,
    "<a" * 10_000,
    "$x^2$ " * 2_000,
])
def test_large_pathological_input_renders(text: str) -> None:
    out = render_comment(text)
    _assert_inert(out)
    assert out.count("<math") <= 60  # formulas converted per comment are capped


def test_empty_and_none() -> None:
    assert render_comment("") == ""
    assert render_comment(None) == ""
