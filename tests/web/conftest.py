"""A demo site (demo data plus a few hostile papers) on SQLite and on PostgreSQL, built
once per module and read through the in-process ASGI client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from paperfeed.config import Settings
from paperfeed.demo.builder import build_demo
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine, write_session
from paperfeed.storage.models import DailyEntry, Paper
from paperfeed.web.app import create_app
from tests.conftest import PG_URL, REQUIRE_PG

if TYPE_CHECKING:
    from tests.web.sessions import Site

SCRIPT_TITLE = "<script>alert(1)</script> & Co"
MATH_TITLE = r"Bounds on $\alpha$-divergences for <b>everyone</b>"
OLD_ID = "hep-th/9901001"
EXTRA_DAY = date(2024, 11, 29)


def add_hostile_papers(engine: Engine, day: date = EXTRA_DAY) -> None:
    """Papers whose text must be shown literally, on a day of their own (after the demo)."""
    with write_session(engine) as session:
        papers = [
            Paper(arxiv_id="2411.99001", version=1, title=SCRIPT_TITLE,
                  abstract='Abstract with <img src=x onerror="alert(2)"> and &amp; entities.',
                  authors=["Mallory <i>Evil</i>", "Eve & Co"], primary_category="cs.CR",
                  categories=["cs.CR"], published=date(2024, 11, 29), vote_count=1000),
            Paper(arxiv_id="2411.99002", version=1, title=MATH_TITLE,
                  abstract=r"We bound $\href{javascript:alert(3)}{x}$ and $\sum_{i=1}^n x_i$.",
                  authors=[f"Author {n}" for n in range(1, 31)], primary_category="math.ST",
                  categories=["math.ST", "stat.TH"], published=date(2024, 11, 29)),
            Paper(arxiv_id=OLD_ID, version=3, title="Old-style identifiers still work",
                  abstract="An old paper.", authors=["Ann Author"], primary_category="hep-th",
                  categories=["hep-th", "gr-qc"], published=date(1999, 1, 4),
                  updated=date(1999, 3, 1), doi="10.1000/xyz123", journal_ref="J. Old 1 (1999)",
                  arxiv_comment="12 pages, 2 figures"),
        ]
        session.add_all(papers)
        session.flush()
        session.add_all(DailyEntry(day=day, paper_id=p.id, source="manual") for p in papers)


def _fresh_pg_database() -> tuple[str, Engine, str]:
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"pf_web_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, admin, name


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database with the demo and the hostile papers, once per backend."""
    admin: Engine | None = None
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.db'}"
    else:
        if not PG_URL:
            if REQUIRE_PG:
                pytest.fail("PAPERFEED_TEST_PG_URL is not set but PostgreSQL is required")
            pytest.skip("no PostgreSQL server (run through `make test`)")
        url, admin, name = _fresh_pg_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    build_demo(engine)
    add_hostile_papers(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


API_LIMITS_OFF = {"api": "", "api_per_address": ""}


def make_settings(engine: Engine, tmp: Path, **extra: object) -> Settings:
    """Settings for a test site. The API's per-client request limits are off unless a
    test sets them (``rate_limits={"api_per_address": "5/1m"}``): tests walk the API
    far faster than anyone is allowed to."""
    limits = extra.get("rate_limits")
    extra["rate_limits"] = {**API_LIMITS_OFF, **(limits if isinstance(limits, dict) else {})}
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=tmp, secret_key="x" * 32, **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(site_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """A client for the demo site (demo mode on: the banner shows)."""
    app = create_app(make_settings(site_engine, tmp_path, demo=True), site_engine)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def page(response: object) -> lxml_html.HtmlElement:
    """The parsed HTML document of a response."""
    return lxml_html.document_fromstring(response.text)  # type: ignore[attr-defined]


def texts(doc: lxml_html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in doc.xpath(xpath)]


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """A site on the test database with a clock the test moves (``site.move``)."""
    from tests.web.sessions import make_site

    yield make_site(engine, tmp_path, rate_limits={"signup": "100/1h"})
