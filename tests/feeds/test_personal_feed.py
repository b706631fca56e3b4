"""A reader's personal feed: made, replaced and turned off from the settings page
(forms that need their CSRF token), following the reader's digest topics, and gone the
moment its address is replaced or turned off."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Subscription, User
from tests.feeds.conftest import CDATA_ID, CONTROL_ID, TEX_ID, parsed
from tests.web.conftest import OLD_ID, page, texts
from tests.web.sessions import Site, logged_in, make_site

TOPONIA = "2411.17955"  # a demo paper: "Mass spectra and wave functions of toponia"


def _site(engine: Engine, tmp_path: Path) -> Site:
    return make_site(engine, tmp_path)


def _subscribe(engine: Engine, name: str) -> None:
    with write_session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == name))
        session.add(Subscription(
            email=f"{name}@example.org", email_key=f"{name}@example.org", user_id=user_id,
            status="active", categories=["stat.ML"], keywords=["toponia"],
            authors=["Ann Author"], searches=["early bold claims"], secret="s" * 32))


def _feed_key(engine: Engine, name: str) -> str | None:
    with session_factory(engine)() as session:
        return session.scalar(select(User.feed_key).where(User.username == name))


def _settings(client: TestClient) -> tuple[object, str]:
    doc = page(client.get("/settings"))
    token = doc.xpath('//form[@action="/settings/feed"]//input[@name="csrf_token"]/@value')
    return doc, str(token[0])


def _feed_paths(client: TestClient) -> list[str]:
    """The personal feed's addresses the settings page shows, as paths."""
    doc = page(client.get("/settings"))
    return [urlsplit(href).path for href in doc.xpath('//a[@class="feed-url"]/@href')]


def test_the_settings_page_makes_a_feed_of_the_readers_topics(
    feeds_engine: Engine, tmp_path: Path,
) -> None:
    site = _site(feeds_engine, tmp_path)
    client = logged_in(site, "feedreader")
    _subscribe(feeds_engine, "feedreader")
    doc, token = _settings(client)
    section = texts(doc, '//section[@aria-labelledby="feed-h"]')[0]
    assert "cat:stat.ML" in section and 'author:"Ann Author"' in section
    assert doc.xpath('//section[@aria-labelledby="feed-h"]//a[contains(., "digest")]/@href')
    assert _feed_paths(client) == []

    response = client.post("/settings/feed", data={"csrf_token": token})
    assert response.status_code == 303
    atom, rss = _feed_paths(client)
    assert atom.endswith(".atom") and rss.endswith(".rss")
    assert _feed_key(feeds_engine, "feedreader") in atom

    reader = site.client()  # a feed reader: no cookies, only the secret address
    for path in (atom, rss):
        response = reader.get(path)
        assert "private" in response.headers["cache-control"]
        ids = [e.link.rsplit("/papers/", 1)[1] for e in parsed(response).entries]
        # stat.ML, the author, the keyword and the saved search; newest first.
        assert {CONTROL_ID, OLD_ID, TOPONIA, CDATA_ID} <= set(ids)
        assert TEX_ID not in ids
        assert ids.index(CDATA_ID) < ids.index(OLD_ID)


def test_a_new_address_revokes_the_old_one_and_turning_off_revokes_it(
    feeds_engine: Engine, tmp_path: Path,
) -> None:
    site = _site(feeds_engine, tmp_path)
    client = logged_in(site, "revoker")
    reader = site.client()
    _, token = _settings(client)
    client.post("/settings/feed", data={"csrf_token": token})
    old_atom, old_rss = _feed_paths(client)
    assert reader.get(old_atom).status_code == 200

    _, token = _settings(client)
    response = client.post("/settings/feed", data={"csrf_token": token})
    assert response.status_code == 303
    assert "new address" in " ".join(texts(page(client.get(response.headers["location"])),
                                           '//p[@role="status"]'))
    new_atom, _ = _feed_paths(client)
    assert new_atom != old_atom
    assert reader.get(old_atom).status_code == 404
    assert reader.get(old_rss).status_code == 404
    empty = parsed(reader.get(new_atom))  # no digest topics: a valid, empty feed
    assert empty.entries == []

    token = str(page(client.get("/settings")).xpath(
        '//form[@action="/settings/feed/off"]//input[@name="csrf_token"]/@value')[0])
    assert client.post("/settings/feed/off", data={"csrf_token": token}).status_code == 303
    assert reader.get(new_atom).status_code == 404
    assert _feed_paths(client) == []
    assert _feed_key(feeds_engine, "revoker") is None


def test_the_feed_forms_need_their_csrf_token(feeds_engine: Engine, tmp_path: Path) -> None:
    site = _site(feeds_engine, tmp_path)
    client = logged_in(site, "forged")
    for token in ("", "not-the-token"):
        assert client.post("/settings/feed", data={"csrf_token": token}).status_code == 403
    assert _feed_key(feeds_engine, "forged") is None
    _, token = _settings(client)
    client.post("/settings/feed", data={"csrf_token": token})
    key = _feed_key(feeds_engine, "forged")
    assert key
    assert client.post("/settings/feed/off", data={}).status_code == 403
    assert _feed_key(feeds_engine, "forged") == key
    # Someone else's browser, not signed in, cannot touch it either.
    assert site.client().post("/settings/feed/off", data={"csrf_token": token}).status_code == 403
    assert _feed_key(feeds_engine, "forged") == key


def test_unknown_feed_addresses_are_not_found(feeds_engine: Engine, tmp_path: Path) -> None:
    reader = _site(feeds_engine, tmp_path).client()
    for key in ("nope", "x" * 100, "%00", ""):
        assert reader.get(f"/feeds/user/{key}.atom").status_code == 404
