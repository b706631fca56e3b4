"""Comments through the browser's forms, on SQLite and PostgreSQL: post and reply, edit
within the window, delete, report; CSRF (403, nothing written, text kept), rate limits
(429 with Retry-After), the log-in redirect, size limits and hostile text shown inert."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import Comment, Paper, Report
from paperfeed.web.comments import CSRF_MESSAGE
from tests.web.conftest import page, texts
from tests.web.sessions import Site, logged_in, make_site, token

ARXIV = "2411.00001"
PAPER = f"/papers/{ARXIV}"
HOSTILE = (
    "<script>window.pwned=1</script> [x](javascript:alert(1)) "
    '<img src=x onerror="alert(2)"> <svg onload=alert(3)> $\\href{javascript:alert(4)}{y}$'
)


def _paper(engine: Engine) -> int:
    with write_session(engine) as session:
        paper = Paper(arxiv_id=ARXIV, version=1, title="A paper", abstract="An abstract.",
                      authors=["A. Author"], primary_category="cs.LG", categories=["cs.LG"],
                      published=date(2024, 11, 1))
        session.add(paper)
        session.flush()
        return paper.id


def _comments(engine: Engine) -> list[tuple[int, int | None, str, bool]]:
    with session_factory(engine)() as session:
        return [(c.id, c.parent_id, c.body, c.deleted)
                for c in session.scalars(select(Comment).order_by(Comment.id))]


def _count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(Paper.comment_count)) or 0)


def _post(client: TestClient, body: str, parent: int | None = None, **extra: str) -> object:
    data = {"csrf_token": token(client, PAPER), "body": body, **extra}
    if parent is not None:
        data["parent_id"] = str(parent)
    return client.post(f"{PAPER}/comments", data=data)


def test_post_a_comment_and_a_reply(site: Site) -> None:
    _paper(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    response = _post(ada, "Nice bound: $x^2 \\le y$.\n\n*Really*.")
    assert response.status_code == 303  # type: ignore[attr-defined]
    [(first, _, _, _)] = _comments(site.engine)
    assert response.headers["location"] == f"{PAPER}#comment-{first}"  # type: ignore[attr-defined]
    reply = _post(bob, "Agreed.", first)
    assert reply.status_code == 303  # type: ignore[attr-defined]
    assert _count(site.engine) == 2

    doc = page(site.client().get(PAPER))
    articles = doc.xpath('//section[@id="comments"]//article')
    assert [a.get("id") for a in articles] == [f"comment-{first}", f"comment-{first + 1}"]
    assert "indent-1" in articles[1].get("class")
    assert articles[0].xpath('.//div[@class="comment-body"]//*[local-name()="math"]')
    assert articles[0].xpath('.//div[@class="comment-body"]//em/text()') == ["Really"]
    assert texts(doc, '//article//*[@class="comment-author"]') == ["ada", "bob"]
    assert texts(doc, '//h2[@id="comments-h"]') == ["Comments (2)"]
    # Readers who are not signed in get a link to log in, no forms.
    assert texts(doc, '//p[@class="login-to-comment"]/a[1]') == ["Log in to comment"]
    assert not doc.xpath('//form[contains(@class, "comment-form")]')

    # Signed in: a new-comment form and a reply form under each comment.
    doc = page(bob.get(PAPER))
    assert doc.xpath('//form[contains(@class, "new-comment")]//textarea[@name="body"]')
    assert doc.xpath(f'//article[@id="comment-{first}"]//details[@class="comment-reply"]//'
                     f'input[@name="parent_id"][@value="{first}"]')
    # Bob may report Ada's comment, not edit or delete it.
    own = doc.xpath(f'//article[@id="comment-{first}"]')[0]
    assert own.xpath('.//details[@class="comment-report"]')
    assert not own.xpath('.//a[@class="comment-edit"]')
    assert not own.xpath('.//details[@class="comment-delete"]')
    assert not own.xpath('.//form[@class="moderate"]')


def test_json_post_returns_the_rendered_comment(site: Site) -> None:
    _paper(site.engine)
    ada = logged_in(site, "ada")
    _post(ada, "Parent.")
    [(first, _, _, _)] = _comments(site.engine)
    response = ada.post(f"{PAPER}/comments", headers={"accept": "application/json"},
                        data={"csrf_token": token(ada, PAPER), "body": "Child $a$",
                              "parent_id": str(first)})
    assert response.status_code == 201
    data = response.json()
    assert data["parent_id"] == first
    assert f'id="comment-{data["id"]}"' in data["html"] and "indent-1" in data["html"]
    assert "<math" in data["html"]
    bad = ada.post(f"{PAPER}/comments", headers={"accept": "application/json"},
                   data={"csrf_token": token(ada, PAPER), "body": "   "})
    assert bad.status_code == 400 and "empty" in bad.json()["error"]


def test_csrf_missing_or_foreign_token_writes_nothing(site: Site) -> None:
    _paper(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    text = "My carefully typed <thoughts> on $x$"
    for csrf in ("", token(bob, PAPER)):
        response = ada.post(f"{PAPER}/comments", data={"csrf_token": csrf, "body": text})
        assert response.status_code == 403
        doc = page(response)
        assert texts(doc, '//p[@class="form-error"]') == [CSRF_MESSAGE]
        assert doc.xpath('//textarea[@name="body"]/text()') == [text]
    assert _comments(site.engine) == []
    _post(ada, "Real one.")
    [(first, _, _, _)] = _comments(site.engine)
    for path, data in ((f"/comments/{first}/edit", {"body": "Changed"}),
                       (f"/comments/{first}/delete", {}),
                       (f"/comments/{first}/report", {"reason": "spam"})):
        response = bob.post(path, data={"csrf_token": token(ada, PAPER), **data})
        assert response.status_code == 403, path
    response = ada.post(f"/comments/{first}/edit", data={"body": "Changed"})
    assert response.status_code == 403
    assert page(response).xpath('//textarea[@name="body"]/text()') == ["Changed"]
    assert _comments(site.engine) == [(first, None, "Real one.", False)]
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_not_signed_in_goes_to_the_login_page(site: Site) -> None:
    _paper(site.engine)
    visitor = site.client()
    response = visitor.post(f"{PAPER}/comments",
                            data={"csrf_token": token(visitor), "body": "Hello"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={PAPER}"
    assert visitor.get("/comments/1/edit").status_code == 303
    assert _comments(site.engine) == []


def test_rate_limit_answers_429_and_keeps_the_text(engine: Engine, tmp_path: Path) -> None:
    site = make_site(engine, tmp_path, rate_limits={"comment": "2/5m"})
    _paper(site.engine)
    ada = logged_in(site, "ada")
    assert _post(ada, "One").status_code == 303  # type: ignore[attr-defined]
    assert _post(ada, "Two").status_code == 303  # type: ignore[attr-defined]
    response = _post(ada, "Three, kept")
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert int(response.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert page(response).xpath('//textarea[@name="body"]/text()') == ["Three, kept"]
    assert len(_comments(site.engine)) == 2
    site.move(301)
    assert _post(ada, "Three, kept").status_code == 303  # type: ignore[attr-defined]


def test_too_long_is_refused_with_the_text_kept(engine: Engine, tmp_path: Path) -> None:
    site = make_site(engine, tmp_path, comment_max_chars=1000)
    _paper(site.engine)
    ada = logged_in(site, "ada")
    text = "<b>" + "x" * 100_000
    response = _post(ada, text)
    assert response.status_code == 400  # type: ignore[attr-defined]
    doc = page(response)
    assert "the limit is 1,000" in texts(doc, '//p[@class="form-error"]')[0]
    assert doc.xpath('//textarea[@name="body"]/text()') == [text]
    assert not doc.xpath('//section[@class="comment-page"]//b')
    assert _comments(site.engine) == []


def test_hostile_comment_is_stored_as_typed_and_shown_inert(site: Site) -> None:
    _paper(site.engine)
    ada = logged_in(site, "ada")
    assert _post(ada, HOSTILE).status_code == 303  # type: ignore[attr-defined]
    assert _comments(site.engine)[0][2] == HOSTILE
    doc = page(site.client().get(PAPER))
    body = doc.xpath('//div[@class="comment-body"]')[0]
    assert not body.xpath(".//script | .//img | .//svg | .//a | .//iframe")
    assert not body.xpath(".//@*[starts-with(name(), 'on')]")
    shown = body.text_content()
    assert "<script>window.pwned=1</script>" in shown
    assert "[x](javascript:alert(1))" in shown and "\\href{javascript:alert(4)}{y}" in shown


def test_edit_within_the_window_then_not(site: Site) -> None:
    _paper(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    _post(ada, "Frist")
    [(first, _, _, _)] = _comments(site.engine)
    form = page(ada.get(f"/comments/{first}/edit"))
    assert form.xpath('//textarea[@name="body"]/text()') == ["Frist"]
    csrf = token(ada, f"/comments/{first}/edit")
    response = ada.post(f"/comments/{first}/edit", data={"csrf_token": csrf, "body": "First"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAPER}#comment-{first}"
    doc = page(site.client().get(PAPER))
    assert texts(doc, f'//article[@id="comment-{first}"]//span[@class="edited"]') == ["edited"]
    assert texts(doc, '//div[@class="comment-body"]') == ["First"]

    response = bob.post(f"/comments/{first}/edit",
                        data={"csrf_token": token(bob, PAPER), "body": "Bob was here"})
    assert response.status_code == 403
    assert bob.get(f"/comments/{first}/edit").status_code == 403

    site.move(16 * 60)
    assert "no longer" in texts(page(ada.get(f"/comments/{first}/edit")),
                                '//p[@class="form-error"]')[0]
    response = ada.post(f"/comments/{first}/edit",
                        data={"csrf_token": csrf, "body": "Late change"})
    assert response.status_code == 403
    assert page(response).xpath('//textarea[@name="body"]/text()') == ["Late change"]
    assert not page(ada.get(PAPER)).xpath('//a[@class="comment-edit"]')
    assert _comments(site.engine)[0][2] == "First"


def test_delete_keeps_the_thread_and_report_is_once(site: Site) -> None:
    _paper(site.engine)
    ada, bob = logged_in(site, "ada"), logged_in(site, "bob")
    _post(ada, "Parent")
    [(first, _, _, _)] = _comments(site.engine)
    _post(bob, "Reply", first)
    response = bob.post(f"/comments/{first}/report",
                        data={"csrf_token": token(bob, PAPER), "reason": "rude"})
    assert response.status_code == 200
    thanks = texts(page(response), '//p[@class="form-notice"]')
    again = bob.post(f"/comments/{first}/report", data={"csrf_token": token(bob, PAPER)})
    assert texts(page(again), '//p[@class="form-notice"]') == thanks
    with session_factory(site.engine)() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1

    refused = bob.post(f"/comments/{first}/delete", data={"csrf_token": token(bob, PAPER)})
    assert refused.status_code == 403
    response = ada.post(f"/comments/{first}/delete", data={"csrf_token": token(ada, PAPER)})
    assert response.status_code == 303
    assert _count(site.engine) == 1
    doc = page(site.client().get(PAPER))
    articles = doc.xpath('//section[@id="comments"]//article')
    assert texts(doc, '//article//p[@class="comment-meta"]')[0] == "[deleted]"
    assert len(articles) == 2
    assert texts(doc, '//div[@class="comment-body"]') == ["Reply"]
    assert "Parent" not in doc.xpath('//section[@id="comments"]')[0].text_content()
    late = _post(bob, "A late reply", first)
    assert late.status_code == 400  # type: ignore[attr-defined]
    assert "deleted or hidden" in texts(page(late), '//p[@class="form-error"]')[0]
    assert page(late).xpath('//textarea[@name="body"]/text()') == ["A late reply"]


def test_moderators_see_hide_and_restore_and_readers_not_hidden(site: Site) -> None:
    _paper(site.engine)
    ada = logged_in(site, "ada")
    mod = logged_in(site, "carol", role="moderator")
    _post(ada, "Visible")
    _post(ada, "Hidden one")
    first, second = (c[0] for c in _comments(site.engine))
    with write_session(site.engine) as session:
        session.execute(update(Comment).where(Comment.id == second).values(hidden=True))
    reader = page(ada.get(PAPER))
    assert texts(reader, '//div[@class="comment-body"]') == ["Visible"]
    assert not reader.xpath('//form[@class="moderate"]')
    doc = page(mod.get(PAPER))
    assert texts(doc, '//div[@class="comment-body"]') == ["Visible", "Hidden one"]
    forms = doc.xpath('//form[@class="moderate"]')
    assert [f.get("action") for f in forms] == [f"/admin/comments/{first}/hide",
                                                f"/admin/comments/{second}/restore"]
    assert forms[0].xpath('.//input[@name="next"]/@value') == [f"{PAPER}#comment-{first}"]
    assert forms[0].xpath('.//input[@name="csrf_token"]/@value')


def test_reply_page_and_old_style_ids(site: Site) -> None:
    with write_session(site.engine) as session:
        session.add(Paper(arxiv_id="hep-th/9901001", version=1, title="Old", abstract="Old.",
                          authors=["A. Author"], primary_category="hep-th",
                          categories=["hep-th"], published=date(1999, 1, 4)))
    ada = logged_in(site, "ada")
    old = "/papers/hep-th/9901001"
    response = ada.post(f"{old}/comments",
                        data={"csrf_token": token(ada, old), "body": "Still relevant."})
    assert response.status_code == 303
    [(first, _, _, _)] = _comments(site.engine)
    assert response.headers["location"] == f"{old}#comment-{first}"
    doc = page(ada.get(f"/comments/{first}/reply"))
    assert texts(doc, '//blockquote[@class="comment-parent"]//div') == ["Still relevant."]
    form = doc.xpath('//form[contains(@class, "comment-form")]')[0]
    assert form.get("action") == f"{old}/comments"
    assert form.xpath('.//input[@name="parent_id"]/@value') == [str(first)]
    assert ada.post("/papers/2411.99999/comments",
                    data={"csrf_token": token(ada, old), "body": "x"}).status_code == 404
