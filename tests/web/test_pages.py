"""What a reader sees on the daily and paper pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from paperfeed.storage.models import DailyEntry, Paper
from paperfeed.web.app import create_app
from tests.web.conftest import MATH_TITLE, OLD_ID, SCRIPT_TITLE, make_settings, page, texts

DEMO_PAPER = "2302.07414"
DEMO_TITLE = "Stability of Euclidean 3-space for the positive mass theorem"


def test_home_shows_the_latest_day_with_its_papers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    doc = page(response)
    assert "29 November 2024" in texts(doc, "//h1")[0]
    titles = texts(doc, "//article[@class='card']//h3")
    assert len(titles) == 3
    assert titles[0] == f"1. {SCRIPT_TITLE}"  # 1000 votes: first
    assert doc.xpath("//a[@rel='prev']/@href")[0] == "/date/2024-11-28"
    assert not doc.xpath("//a[@rel='next']")  # nothing later


def test_daily_page_lists_papers_by_votes_with_everything_a_card_needs(
    client: TestClient, site_engine: Engine
) -> None:
    with Session(site_engine) as s:
        on_day = s.scalar(select(func.count()).select_from(DailyEntry)
                          .where(DailyEntry.day == date(2024, 11, 27)))
    response = client.get("/date/2024-11-27")
    assert response.status_code == 200
    doc = page(response)
    cards = doc.xpath("//article[@class='card']")
    assert len(cards) == min(50, on_day)
    assert f"{on_day} papers" in texts(doc, "//p[@class='count']")[0]
    votes = [int(v) for v in texts(doc, "//span[@class='vote-count']")]
    assert votes == sorted(votes, reverse=True) and votes[0] > votes[-1]
    first = cards[0]
    link = first.xpath(".//h3/a/@href")[0]
    arxiv_id = link.removeprefix("/papers/")
    assert first.xpath(".//p[@class='authors']")[0].text_content().strip()
    assert first.xpath(".//span[contains(@class,'cat')]")
    assert f"https://arxiv.org/abs/{arxiv_id}" in first.xpath(".//a/@href")
    assert f"https://arxiv.org/pdf/{arxiv_id}" in first.xpath(".//a/@href")
    assert "comment" in first.xpath(".//a[@class='comments']")[0].text_content()
    assert first.xpath(".//details[@class='abstract']/summary")  # collapsed abstract
    # previous/next go to the nearest days that have papers (the weekend has none)
    assert doc.xpath("//a[@rel='prev']/@href")[0] == "/date/2024-11-26"
    assert doc.xpath("//a[@rel='next']/@href")[0] == "/date/2024-11-28"
    monday = page(client.get("/date/2024-11-25"))
    assert monday.xpath("//a[@rel='prev']/@href")[0] == "/date/2024-11-22"
    first_day = page(client.get("/date/2024-11-22"))
    assert not first_day.xpath("//a[@rel='prev']")


def test_second_page_continues_the_list(client: TestClient) -> None:
    first = page(client.get("/date/2024-11-28"))
    second = page(client.get("/date/2024-11-28?page=2"))
    ids_first = set(first.xpath("//article[@class='card']/@id"))
    ids_second = set(second.xpath("//article[@class='card']/@id"))
    assert ids_second and not ids_first & ids_second
    assert texts(second, "//span[@class='rank']")[0] == "51."


def test_long_author_lists_are_shortened_on_cards(client: TestClient) -> None:
    doc = page(client.get("/"))
    authors = texts(doc, "//article[@id='paper-2411.99002']//p[@class='authors']")[0]
    assert authors.startswith("Author 1, Author 2")
    assert "Author 30" in authors and "Author 17" not in authors


def test_paper_page_shows_full_metadata(client: TestClient) -> None:
    response = client.get(f"/papers/{DEMO_PAPER}")
    assert response.status_code == 200
    doc = page(response)
    assert texts(doc, "//h1")[0] == DEMO_TITLE
    assert texts(doc, "//p[@class='paper-authors']")[0] == "Conghan Dong, Antoine Song"
    assert f"arXiv:{DEMO_PAPER}v2" in texts(doc, "//p[@class='paper-id']")[0]
    facts = " ".join(texts(doc, "//dl[@class='facts']"))
    assert "math.DG" in facts and "gr-qc" in facts
    assert doc.xpath("//dd[@class='days']/a/@href")  # the days it was on the list
    assert doc.xpath("//section[@class='abstract-full']//math")  # $\mathbb{R}^3$ rendered
    assert f"https://arxiv.org/pdf/{DEMO_PAPER}" in doc.xpath("//a/@href")
    assert not doc.xpath("//section[@class='similar']")  # nothing similar known: no section


def test_paper_page_shows_comments(client: TestClient, site_engine: Engine) -> None:
    with Session(site_engine) as s:
        paper = s.scalars(select(Paper).where(Paper.comment_count > 0)
                          .order_by(Paper.arxiv_id)).first()
        assert paper is not None
    doc = page(client.get(f"/papers/{paper.arxiv_id}"))
    comments = doc.xpath("//section[@id='comments']//article")
    assert len(comments) == paper.comment_count
    assert "(demo)" in comments[0].xpath(".//bdi")[0].text_content()


def test_old_style_ids_work(client: TestClient) -> None:
    response = client.get(f"/papers/{OLD_ID}")
    assert response.status_code == 200
    doc = page(response)
    assert texts(doc, "//h1")[0] == "Old-style identifiers still work"
    assert "https://doi.org/10.1000/xyz123" in doc.xpath("//a/@href")
    # arXiv's author note, labelled apart from the user comments below it.
    facts = dict(zip(texts(doc, "//dl[@class='facts']/dt"),
                     texts(doc, "//dl[@class='facts']/dd"), strict=True))
    assert facts["Author comments"] == "12 pages, 2 figures"
    assert f"/papers/{OLD_ID}" in page(client.get("/")).xpath("//h3/a/@href")


@pytest.mark.parametrize(
    ("pasted", "canonical"),
    [
        ("2302.07414v2", "2302.07414"),
        ("arXiv:2302.07414", "2302.07414"),
        ("https://arxiv.org/abs/2302.07414v1", "2302.07414"),
        ("hep-th/9901001v3", OLD_ID),
    ],
)
def test_pasted_ids_redirect_to_the_canonical_page(
    client: TestClient, pasted: str, canonical: str
) -> None:
    response = client.get(f"/papers/{pasted}")
    assert response.status_code == 301
    assert response.headers["location"] == f"/papers/{canonical}"


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/papers/2401.00001", "no paper 2401.00001"),
        ("/papers/not-an-id", "not an arXiv id"),
        ("/papers/hep-th/990100", "not an arXiv id"),
        ("/date/2024-13-45", "not a date"),
        ("/date/garbage", "not a date"),
        ("/date/2024-02-30", "not a date"),
        ("/date/2024-11-23", "No papers were listed on 2024-11-23"),
        ("/no/such/page", "no page at /no/such/page"),
    ],
)
def test_not_found_is_a_helpful_page(client: TestClient, path: str, says: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    doc = page(response)
    assert says.lower() in doc.xpath("//p[@class='message']")[0].text_content().lower()
    assert doc.xpath("//form[@action='/search']")  # still a usable page
    assert "/" in doc.xpath("//ul[@class='suggestions']//a/@href")


def test_unknown_day_links_to_the_nearest_days(client: TestClient) -> None:
    doc = page(client.get("/date/2024-11-23"))
    links = doc.xpath("//ul[@class='suggestions']//a/@href")
    assert "/date/2024-11-22" in links and "/date/2024-11-25" in links


def test_bad_page_number_is_a_400_page_not_a_500(client: TestClient) -> None:
    response = client.get("/date/2024-11-28?page=zero")
    assert response.status_code == 400
    assert "not valid" in page(response).xpath("//p[@class='message']")[0].text_content()


def test_markup_in_titles_authors_and_abstracts_is_shown_literally(client: TestClient) -> None:
    for path in ("/", "/papers/2411.99001"):
        response = client.get(path)
        doc = page(response)
        # only the site's own scripts (static/votes.js), never one from the data
        assert not doc.xpath("//script[not(starts-with(@src, '/static/'))]"), path
        assert not doc.xpath("//img"), path
        assert not doc.xpath("//@*[starts-with(name(), 'on')]"), path
        assert not doc.xpath("//*[local-name()='i' or local-name()='b']"), path
        body = doc.xpath("//main")[0].text_content()
        assert SCRIPT_TITLE in body
        assert "Mallory <i>Evil</i>" in body and "Eve & Co" in body
        assert '<img src=x onerror="alert(2)">' in body or path == "/"
    title = page(client.get("/papers/2411.99001")).xpath("//title")[0].text_content()
    assert title.startswith(SCRIPT_TITLE)


def test_latex_becomes_mathml_and_nothing_else(client: TestClient) -> None:
    doc = page(client.get("/papers/2411.99002"))
    heading = doc.xpath("//h1")[0]
    maths = heading.xpath(".//math")
    assert len(maths) == 1 and maths[0].xpath(".//mi")[0].text == "α"
    assert "<b>everyone</b>" in heading.text_content()  # not bold: literal text
    abstract = doc.xpath("//section[@class='abstract-full']")[0]
    assert abstract.xpath(".//math//msubsup | .//math//munderover")  # \sum_{i=1}^n
    # \href{javascript:…} is shown as source text, never as a link or attribute
    assert not doc.xpath("//@href[contains(., 'javascript')]")
    assert r"\href{javascript:alert(3)}{x}" in abstract.text_content()
    assert MATH_TITLE.split("$")[0] in heading.text_content()


SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    "path",
    ["/", "/date/2024-11-28", f"/papers/{DEMO_PAPER}", f"/papers/{OLD_ID}", "/date/garbage",
     "/papers/2401.00001", "/nope", "/static/style.css", "/date/2024-11-28?page=0"],
)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def get_paths(routes: list[Any], prefix: str = "") -> list[str]:
    """Every GET path of the app, including routers FastAPI includes lazily."""
    paths: list[str] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            paths += get_paths(inner.routes, prefix + getattr(context, "prefix", ""))
        elif "GET" in (getattr(route, "methods", None) or set()):
            paths.append(prefix + route.path)
    return paths


def test_every_page_route_sends_the_security_headers(client: TestClient) -> None:
    """Walk the app's GET routes (parameters filled with sample values)."""
    samples = {"day_text": "2024-11-28", "arxiv_id": DEMO_PAPER}
    paths = get_paths(client.app.routes)  # type: ignore[attr-defined]
    assert {"/", "/date/{day_text}", "/papers/{arxiv_id:path}"} <= set(paths)
    for template in paths:
        path = template
        for name, value in samples.items():
            path = path.replace(f"{{{name}}}", value).replace(f"{{{name}:path}}", value)
        path = re.sub(r"\{[^}]*\}", "x", path)
        response = client.get(path, params={"q": "graph"})
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_static_css_is_self_hosted_and_no_page_uses_a_cdn(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text
    assert "max-age" in css.headers["cache-control"]
    for path in ("/", f"/papers/{DEMO_PAPER}", "/nope"):
        doc = page(client.get(path))
        for url in doc.xpath("//link/@href | //script/@src | //img/@src"):
            assert url.startswith("/"), url


def test_search_box_and_demo_banner_on_every_page(client: TestClient) -> None:
    for path in ("/", f"/papers/{DEMO_PAPER}", "/date/garbage"):
        doc = page(client.get(path))
        form = doc.xpath("//form[@role='search']")[0]
        assert form.get("action") == "/search" and form.get("method") == "get"
        assert form.xpath(".//input[@name='q']")
        assert "Demo data" in doc.xpath("//div[@class='demo-banner']")[0].text_content()


def test_no_demo_banner_outside_demo_mode(site_engine: Engine, tmp_path: Path) -> None:
    app = create_app(make_settings(site_engine, tmp_path), site_engine)
    with TestClient(app) as c:
        assert not page(c.get("/")).xpath("//div[@class='demo-banner']")


def test_daily_page_query_count_does_not_grow_with_the_list(
    client: TestClient, site_engine: Engine
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(site_engine, "before_cursor_execute", count)
    try:
        client.get("/date/2024-11-28")
        full = len(statements)
        statements.clear()
        client.get("/")  # three papers
        small = len(statements)
    finally:
        event.remove(site_engine, "before_cursor_execute", count)
    assert full == small
    assert full <= 6


def test_empty_database_shows_how_to_start(engine: Engine, tmp_path: Path) -> None:
    app = create_app(make_settings(engine, tmp_path), engine)
    with TestClient(app) as c:
        response = c.get("/")
    assert response.status_code == 200
    assert "No papers yet" in page(response).xpath("//h1")[0].text_content()


def test_paper_page_lists_similar_papers_once_indexed(engine: Engine, tmp_path: Path) -> None:
    from paperfeed.demo.builder import build_demo
    from paperfeed.search.indexing import index_missing

    build_demo(engine)
    settings = make_settings(engine, tmp_path)
    assert index_missing(engine, settings) == 265
    with TestClient(create_app(settings, engine)) as c:
        doc = page(c.get(f"/papers/{DEMO_PAPER}"))
    links = doc.xpath("//section[@class='similar']//a/@href")
    assert 1 <= len(links) <= 6
    assert f"/papers/{DEMO_PAPER}" not in links
    assert all(link.startswith("/papers/") for link in links)


def test_newest_first_order_keeps_itself_across_days(
    client: TestClient, site_engine: Engine
) -> None:
    with Session(site_engine) as s:
        newest = s.scalars(
            select(Paper.arxiv_id).join(DailyEntry, DailyEntry.paper_id == Paper.id)
            .where(DailyEntry.day == date(2024, 11, 27))
            .order_by(DailyEntry.submitted_at.desc(), Paper.id).limit(3)
        ).all()
    doc = page(client.get("/date/2024-11-27?sort=time"))
    shown = [href.removeprefix("/papers/") for href in doc.xpath("//article//h3/a/@href")[:3]]
    assert shown == list(newest)
    assert texts(doc, "//nav[@class='sorts']//*[@aria-current]") == ["Newest"]
    assert doc.xpath("//a[@rel='next']/@href")[0] == "/date/2024-11-28?sort=time"
    assert client.get("/date/2024-11-27?sort=bogus").status_code == 400


def test_head_requests_are_answered(client: TestClient) -> None:
    for path in ("/", "/date/2024-11-28", f"/papers/{DEMO_PAPER}"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")


def test_wrong_method_and_api_errors(client: TestClient) -> None:
    response = client.post("/date/2024-11-28")
    assert response.status_code == 405
    assert "cannot be used that way" in page(response).xpath("//p[@class='message']")[0].text
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


def test_a_crash_is_a_plain_500_page_with_the_headers(
    site_engine: Engine, tmp_path: Path
) -> None:
    app = create_app(make_settings(site_engine, tmp_path), site_engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
