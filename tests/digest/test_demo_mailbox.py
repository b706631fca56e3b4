"""The demo's mailbox: with demo mode on and no SMTP server, everything the site mails
is shown at /mailbox, so the whole loop works on the demo site alone."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from lxml import html as lxml_html
from sqlalchemy import Engine

from paperfeed.web.app import create_app
from tests.digest.conftest import make_settings


def _doc(response: object) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(response.text)  # type: ignore[attr-defined]


def _open(client: TestClient, subject_word: str) -> str:
    """The text of the newest mail whose subject has `subject_word`."""
    doc = _doc(client.get("/mailbox"))
    links = [a for a in doc.xpath('//ul[@class="mailbox-list"]//a') if subject_word in a.text]
    assert links, [a.text for a in doc.xpath("//a")]
    page = client.get(links[0].get("href"))
    assert page.status_code == 200
    return str(_doc(page).xpath('string(//div[@class="mail-text"])'))


def test_the_demo_loop_without_a_mail_server(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(engine, tmp_path, "").model_copy(update={"demo": True})
    app = create_app(settings, engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        assert "No mail yet" in client.get("/mailbox").text
        response = client.post("/digest/subscribe", data={"email": "me@example.org"},
                               headers={"Origin": "https://testserver"})
        assert response.status_code == 200
        confirm = re.search(r"https://papers\.example\.org(/digest/confirm\?token=\S+)",
                            _open(client, "Confirm"))
        assert confirm
        assert "You are subscribed" in client.get(confirm.group(1)).text
        token = _doc(client.get("/mailbox")).xpath(
            '//form[@action="/mailbox/send-digests"]//input[@name="csrf_token"]/@value')[0]
        sent = client.post("/mailbox/send-digests", data={"csrf_token": token})
        assert sent.status_code == 303
        digest = _open(client, "papers for")
        assert "Graph neural networks for molecules" in digest
        doc = _doc(client.get("/mailbox"))
        key = next(a.get("href") for a in doc.xpath('//ul[@class="mailbox-list"]//a')
                   if "papers for" in a.text)
        html = client.get(f"{key}/html")
        assert "sandbox" in html.headers["content-security-policy"]
        assert "Graph neural networks for molecules" in html.text


def test_no_mailbox_outside_demo_mode(engine: Engine, tmp_path: Path) -> None:
    app = create_app(make_settings(engine, tmp_path, ""), engine)
    with TestClient(app) as client:
        assert client.get("/mailbox").status_code == 404
        assert client.get("/mailbox/anything/html").status_code == 404
