"""A property-based run of the whole API from its own OpenAPI description
(schemathesis), on SQLite and PostgreSQL: for generated requests, valid and not, no
answer is a 5xx and every answer matches the schema (status, content type, body,
headers). Writes run with a real read-write token; the Submit action's arXiv fetches
go to a local server. Plus the cases generation rarely reaches: invalid UTF-8, huge
page numbers, negative limits and unknown ids on every route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from paperfeed.accounts import api_tokens
from paperfeed.accounts.users import create_user
from paperfeed.storage.engine import write_session
from paperfeed.web.app import create_app
from tests.community.arxiv_replay import EMPTY, fake_arxiv, ok
from tests.web.conftest import make_settings
from tests.web.sessions import START


@pytest.fixture(scope="module")
def api(site_engine: Engine, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[FastAPI, str]]:
    """The demo site's app (a moved clock) and a read-write token of a new account."""
    with fake_arxiv() as arxiv:
        arxiv.reply = ok(EMPTY)
        config = make_settings(site_engine, tmp_path_factory.mktemp("api"),
                               arxiv_api_url=arxiv.url, request_interval=0.0,
                               rate_limits={"vote": "", "comment": "", "submit": "",
                                            "vote_per_address": "",
                                            "comment_per_address": "",
                                            "submit_per_address": ""},
                               submissions_per_day=0)
        app = create_app(config, site_engine, clock=lambda: START)
        now = datetime.fromtimestamp(START, UTC).replace(tzinfo=None)
        with write_session(site_engine) as session:
            user = create_user(session, "fuzzer", "fuzzer@example.org", "correct horse battery")
            made = api_tokens.create(session, user, "fuzz", write=True, now=now)
        yield app, made.token


@pytest.fixture(scope="module")
def api_schema(api: tuple[FastAPI, str]) -> Any:
    app, _ = api
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_description(case: Any, api: tuple[FastAPI, str]) -> None:
    _, token = api
    # Every check but "schema-valid data is accepted": the site's own rules refuse some
    # schema-valid requests (text that names no arXiv paper, a reply to a comment on
    # another paper) with a documented 4xx.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           excluded_checks=[positive_data_acceptance])


def _get_routes(app: FastAPI) -> list[str]:
    paths = app.openapi()["paths"]
    return [p for p, ops in paths.items() if "get" in ops]


def _fill(path: str, value: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("query", [
    b"q=%FF%FE", b"limit=-5", b"limit=0", b"p=-1", b"p=99999999999999999999",
    b"page=99999999999999999999", b"per_page=-3", b"offset=99999999999999999999",
    b"date=%FF", b"date=2024-02-30", b"week=2024-W99", b"month=2024-13", b"sort=%00",
])
def test_garbage_parameters_never_fail_the_server(api: tuple[FastAPI, str], query: bytes) -> None:
    app, _ = api
    with TestClient(app) as client:
        for path in _get_routes(app):
            for value in ("2411.99001", "hep-th/9901001", "nobody", "%FF", "9" * 30):
                url = _fill(path, value) + "?" + query.decode()
                response = client.get(url)
                assert response.status_code < 500, (url, response.text[:300])
                if response.status_code >= 400 and path.startswith("/api/v1/"):
                    assert set(response.json()) == {"error"}, (url, response.text[:300])


def test_a_body_that_is_not_utf8_is_a_clear_4xx(api: tuple[FastAPI, str], tmp_path: Path) -> None:
    app, token = api
    with TestClient(app) as client:
        response = client.post("/api/v1/submissions", content=b'{"id": "\xff\xfe"}',
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/json"})
        assert response.status_code in (400, 422)
        assert set(response.json()["error"]) == {"code", "message"}
