"""Subscribing, confirming, managing and leaving in the browser's place (the ASGI
client): the mails arrive at a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from paperfeed.web.app import create_app
from tests.digest.conftest import Env
from tests.digest.helpers import add_subscriber, digests_to, send_period, subscription

ORIGIN = {"Origin": "https://testserver"}


@pytest.fixture
def web(env: Env) -> Iterator[tuple[TestClient, list[float]]]:
    now = [1_764_576_000.0]  # 2025-12-01
    app = create_app(env.settings, env.engine, clock=lambda: now[0])
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client, now


def _doc(response: object) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(response.text)  # type: ignore[attr-defined]


def _link(message: EmailMessage, path: str) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    found = re.search(rf"https://papers\.example\.org({re.escape(path)}\?token=\S+)",
                      str(text.get_content()))
    assert found, text
    return found.group(1)


def _confirmation(env: Env, email: str) -> EmailMessage:
    mails = [m for m in env.smtp.messages if m["To"] == email and "Confirm" in m["Subject"]]
    assert mails
    return mails[-1]


def _subscribe(client: TestClient, email: str) -> object:
    return client.post("/digest/subscribe", data={"email": email}, headers=ORIGIN)


def test_every_page_has_the_subscribe_form(web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    for path in ("/", "/trending", "/search?q=graph", "/papers/2611.00001"):
        doc = _doc(client.get(path))
        form = doc.xpath('//form[@action="/digest/subscribe"]')
        assert form, path
        assert "Get trending papers in your email inbox" in form[0].text_content()
        assert form[0].xpath('.//input[@type="email"][@name="email"]')


def test_subscribe_confirm_and_receive_one_digest(env: Env,
                                                  web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    response = _subscribe(client, "new@example.org")
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert send_period(env).sent == 0  # not confirmed yet
    confirm = _link(_confirmation(env, "new@example.org"), "/digest/confirm")
    confirmed = client.get(confirm)
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    assert subscription(env, "new@example.org").status == "active"
    assert send_period(env).sent == 1
    assert send_period(env).sent == 0
    assert len(digests_to(env, "new@example.org")) == 1


def test_subscribing_again_does_not_tell_whether_an_address_is_listed(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    add_subscriber(env, "known@example.org", categories=["cs.LG"])
    known = _subscribe(client, "known@example.org")
    unknown = _subscribe(client, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.text.replace(e, "ADDRESS")  # noqa: E731
    assert strip(known, "known@example.org") == strip(unknown, "unknown@example.org")
    assert subscription(env, "known@example.org").status == "active"  # unchanged
    reminder = [m for m in env.smtp.messages if m["To"] == "known@example.org"]
    assert reminder and "/digest/manage?token=" in str(parts_text(reminder[-1]))


def parts_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def test_a_form_from_elsewhere_subscribes_nobody(env: Env,
                                                web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    response = client.post("/digest/subscribe", data={"email": "victim@example.org"},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert env.smtp.messages == []
    doc = _doc(response)  # the form again, with a token, and the address kept
    assert doc.xpath('//form[@action="/digest/subscribe"]//input[@name="csrf_token"]/@value')
    assert doc.xpath('//input[@name="email"]/@value') == ["victim@example.org"]


def test_an_invalid_address_is_refused_with_a_message(env: Env,
                                                      web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    for bad in ("not-an-address", "a@b@example.org", "ada@example.org\r\nBcc: x@y.org", ""):
        response = _subscribe(client, bad)
        assert response.status_code == 400, bad
        assert "not a valid email address" in response.text or "valid" in response.text
    assert env.smtp.messages == []


def test_expired_reused_and_tampered_confirmation_links(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    client, now = web
    _subscribe(client, "late@example.org")
    link = _link(_confirmation(env, "late@example.org"), "/digest/confirm")
    tampered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400 and "not valid" in tampered.text
    now[0] += 73 * 3600
    expired = client.get(link)
    assert expired.status_code == 410 and "expired" in expired.text
    assert subscription(env, "late@example.org").status == "pending"
    now[0] -= 73 * 3600
    assert client.get(link).status_code == 200
    reused = client.get(link)
    assert reused.status_code == 410 and "already been used" in reused.text


def test_manage_preferences_from_the_digest_link(env: Env,
                                                 web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    send_period(env)
    [digest] = digests_to(env, "ada@example.org")
    manage = _link(digest, "/digest/manage")
    page = client.get(manage)
    assert page.status_code == 200
    doc = _doc(page)
    token = doc.xpath('//form[@action="/digest/manage"]//input[@name="csrf_token"]/@value')[0]
    signed = doc.xpath('//form[@action="/digest/manage"]//input[@name="token"]/@value')[0]
    saved = client.post("/digest/manage", data={
        "csrf_token": token, "token": signed, "period": "weekly", "max_papers": "5",
        "categories": "quant-ph, math.NA", "keywords": "spectral", "authors": "Ada Lovelace",
        "searches": '"error correction"\n<script>x</script>'})
    assert saved.status_code == 200 and "Saved" in saved.text
    row = subscription(env, "ada@example.org")
    assert (row.period, row.max_papers) == ("weekly", 5)
    assert row.categories == ["quant-ph", "math.NA"]
    assert row.searches == ['"error correction"', "<script>x</script>"]
    assert "<script>x</script>" not in saved.text
    bad = client.post("/digest/manage", data={
        "csrf_token": token, "token": signed, "period": "daily", "max_papers": "5",
        "categories": "not a category"})
    assert bad.status_code == 400 and "not an arXiv category" in bad.text
    assert subscription(env, "ada@example.org").period == "weekly"  # nothing changed
    no_csrf = client.post("/digest/manage", data={"token": signed, "period": "daily",
                                                  "max_papers": "5"})
    assert no_csrf.status_code == 403
    assert subscription(env, "ada@example.org").period == "weekly"


def test_tampered_manage_and_unsubscribe_links_change_nothing(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    outcome = add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    sub_id = outcome.subscription.id
    for path in ("/digest/manage", "/digest/unsubscribe"):
        for token in (f"{sub_id}.forged", f"{sub_id + 1}.x", "garbage", ""):
            response = client.get(f"{path}?token={token}")
            assert response.status_code == 400
            assert "This link does not work" in response.text
        forged = client.post(f"{path}?token={sub_id}.forged",
                             data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 400
    assert subscription(env, "ada@example.org").status == "active"


def test_one_click_unsubscribe_needs_no_cookie_and_does_not_redirect(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    send_period(env)
    [digest] = digests_to(env, "ada@example.org")
    url = str(digest["List-Unsubscribe"]).strip("<>").replace("https://papers.example.org", "")
    shown = client.get(url)  # a GET (a link checker, a preview) changes nothing
    assert shown.status_code == 200
    assert subscription(env, "ada@example.org").status == "active"
    client.cookies.clear()
    response = client.post(url, content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert subscription(env, "ada@example.org").status == "unsubscribed"
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    from dataclasses import replace

    from paperfeed.digest.periods import containing

    later = replace(env, period=containing("daily", env.period.start.replace(day=29)))
    assert send_period(later).queued == 0


def test_when_the_confirmation_cannot_be_mailed_asking_again_works(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    client, _ = web
    env.smtp.script(["451"])
    failed = _subscribe(client, "later@example.org")
    assert failed.status_code == 503 and "try again later" in failed.text
    assert failed.headers["Retry-After"]
    assert env.smtp.messages == []
    again = _subscribe(client, "later@example.org")  # not held back by the failed one
    assert again.status_code == 200
    link = _link(_confirmation(env, "later@example.org"), "/digest/confirm")
    assert client.get(link).status_code == 200
    assert subscription(env, "later@example.org").status == "active"


def test_a_signed_in_readers_footer_has_their_address(
        env: Env, web: tuple[TestClient, list[float]]) -> None:
    from tests.web.sessions import login, make_user

    client, _ = web
    make_user(env.engine, "ada")
    assert login(client, "ada").status_code == 303
    doc = _doc(client.get("/"))
    form = doc.xpath('//form[@action="/digest/subscribe"]')[0]
    assert form.xpath('.//input[@name="email"]/@value') == ["ada@example.org"]
    token = form.xpath('.//input[@name="csrf_token"]/@value')
    assert token and token[0]
    response = client.post("/digest/subscribe", data={"email": "ada@example.org",
                                                      "csrf_token": token[0]})
    assert response.status_code == 200 and "Check your inbox" in response.text
    settings_page = client.get("/settings")
    assert "waiting for the confirmation link" in settings_page.text
    assert "/digest/manage?token=" in settings_page.text
