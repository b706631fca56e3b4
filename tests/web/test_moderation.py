"""/admin and its forms on SQLite and PostgreSQL: who may see it, CSRF, the report queue
(hostile comments shown inert), hiding and dismissing, bans that log people out, the
moderators' block on the paper page and the admins' moderation log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.community.counts import refresh_comments, refresh_votes
from paperfeed.storage.engine import session_factory, write_session
from paperfeed.storage.models import (
    Comment,
    DailyEntry,
    ModerationAction,
    Paper,
    Report,
    User,
    UserSession,
)
from tests.web.conftest import page, texts
from tests.web.sessions import Site, logged_in, login, make_user, signed_in_as, token

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> Buy pills'
DAY = date(2025, 11, 24)


@dataclass
class Content:
    paper: int
    entry: int
    comment: int
    fine_comment: int


def add_content(engine: Engine, author: int) -> Content:
    """One paper on today's list submitted by `author`, a hostile comment by them and a
    fine one by nobody in particular."""
    with write_session(engine) as s:
        paper = Paper(arxiv_id="2511.00001", title="A paper worth reading",
                      abstract="Abstract.", authors=["A. Author"])
        s.add(paper)
        s.flush()
        entry = DailyEntry(day=DAY, paper_id=paper.id, submitted_by_id=author,
                           submitted_at=datetime(2025, 11, 24, 8, 0))  # noqa: DTZ001
        hostile = Comment(paper_id=paper.id, user_id=author, body=HOSTILE)
        fine = Comment(paper_id=paper.id, user_id=None, body="A fine comment.")
        s.add_all([entry, hostile, fine])
        s.flush()
        refresh_votes(s, paper.id)
        refresh_comments(s, paper.id)
        return Content(paper.id, entry.id, hostile.id, fine.id)


def report(engine: Engine, reporter: int, *, comment: int | None = None,
           entry: int | None = None, reason: str = "spam") -> int:
    with write_session(engine) as s:
        row = Report(reporter_id=reporter, comment_id=comment, entry_id=entry, reason=reason)
        s.add(row)
        s.flush()
        return row.id


def user_id(engine: Engine, name: str) -> int:
    with session_factory(engine)() as s:
        found = s.scalar(select(User.id).where(User.username == name))
        assert found is not None
        return found


def log_actions(engine: Engine) -> list[str]:
    with session_factory(engine)() as s:
        return list(s.scalars(select(ModerationAction.action).order_by(ModerationAction.id)))


def comment_hidden(engine: Engine, comment_id: int) -> bool:
    with session_factory(engine)() as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None
        return comment.hidden


def post(client: TestClient, path: str, **data: str) -> object:
    form = {"csrf_token": token(client, "/admin"), "next": "/admin", **data}
    return client.post(path, data=form)


def test_who_may_see_admin_and_the_log(site: Site) -> None:
    anonymous = site.client()
    response = anonymous.get("/admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin"
    assert anonymous.get("/admin/log").status_code == 303

    reader = logged_in(site, "reader")
    response = reader.get("/admin")
    assert response.status_code == 403
    assert "Only moderators" in response.text
    assert reader.post("/admin/comments/1/hide", data={
        "csrf_token": token(reader, "/settings")}).status_code == 403
    assert not texts(page(reader.get("/settings")), '//nav[@class="account"]//a[.="Moderation"]')

    moderator = logged_in(site, "moddy", role="moderator")
    admin_page = moderator.get("/admin")
    assert admin_page.status_code == 200
    assert texts(page(admin_page), "//h1") == ["Moderation"]
    assert not page(admin_page).xpath('//a[@href="/admin/log"]')
    assert moderator.get("/admin/log").status_code == 403

    admin = logged_in(site, "boss", role="admin")
    assert admin.get("/admin/log").status_code == 200
    assert page(admin.get("/admin")).xpath('//a[@href="/admin/log"]')


def test_missing_or_foreign_csrf_token_writes_nothing(site: Site) -> None:
    author = make_user(site.engine, "spammer")
    content = add_content(site.engine, author)
    moderator = logged_in(site, "moddy", role="moderator")
    other = logged_in(site, "boss", role="admin")
    foreign = token(other, "/admin")
    for data in ({}, {"csrf_token": ""}, {"csrf_token": foreign}):
        response = moderator.post(f"/admin/comments/{content.comment}/hide",
                                  data={**data, "next": "/admin"})
        assert response.status_code == 403
        assert "Nothing was saved" in response.text
        response = moderator.post("/admin/users/spammer/ban",
                                  data={**data, "hide_content": "on"})
        assert response.status_code == 403
    assert not comment_hidden(site.engine, content.comment)
    assert log_actions(site.engine) == []
    with session_factory(site.engine)() as s:
        found = s.get(User, author)
        assert found is not None and not found.is_banned


def test_report_queue_shows_hostile_comment_inert_and_hide_resolves(site: Site) -> None:
    author = make_user(site.engine, "spammer")
    content = add_content(site.engine, author)
    r1 = report(site.engine, make_user(site.engine, "alice"), comment=content.comment,
                reason="<b>spam</b> & worse")
    report(site.engine, make_user(site.engine, "bob"), comment=content.comment)
    moderator = logged_in(site, "moddy", role="moderator")

    response = moderator.get("/admin")
    doc = page(response)
    assert not doc.xpath("//main//script") and not doc.xpath("//main//img")
    assert '<script>alert("x")</script>' not in response.text
    item = doc.xpath(f'//article[@id="report-{r1}"]')[0]
    assert " ".join(item.xpath('.//div[contains(@class, "reported-comment")]')[0]
                    .text_content().split()) == " ".join(HOSTILE.split())
    assert texts(item, './/p[@class="mod-count"]') == ["2 reports"]
    assert texts(item, './/bdi[@class="reporter"]') == ["alice", "bob"]
    assert "<b>spam</b> & worse" in texts(item, './/span[@class="reason"]')
    assert texts(doc, '//h2[@id="queue-h"]') == ["Reports (2 open)"]

    response = post(moderator, f"/admin/reports/{r1}/hide")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/admin?done=hide"  # type: ignore[attr-defined]
    assert comment_hidden(site.engine, content.comment)
    with session_factory(site.engine)() as s:
        assert s.scalar(select(func.count()).select_from(Report)
                        .where(Report.resolved_at.is_(None))) == 0
        assert set(s.scalars(select(Report.resolution))) == {"hidden"}
        paper = s.get(Paper, content.paper)
        assert paper is not None and paper.comment_count == 1
    doc = page(moderator.get("/admin?done=hide"))
    assert texts(doc, '//p[@role="status"]') == [
        "The reported content is hidden and its reports resolved."]
    assert texts(doc, '//section[@class="mod-queue"]//p') == ["No open reports."]
    assert doc.xpath(f'//li[@id="hidden-comment-{content.comment}"]')
    # The paper page no longer shows it; restoring brings it back.
    paper_page = site.client().get("/papers/2511.00001")
    assert "Buy pills" not in paper_page.text and "A fine comment." in paper_page.text
    assert post(moderator, f"/admin/comments/{content.comment}/restore"
                ).status_code == 303  # type: ignore[attr-defined]
    assert not comment_hidden(site.engine, content.comment)
    assert log_actions(site.engine) == ["hide-comment", "resolve-report", "restore-comment"]


def test_dismissing_an_entry_report_keeps_the_entry(site: Site) -> None:
    author = make_user(site.engine, "spammer")
    content = add_content(site.engine, author)
    rid = report(site.engine, make_user(site.engine, "alice"), entry=content.entry,
                 reason="not a paper")
    moderator = logged_in(site, "moddy", role="moderator")
    doc = page(moderator.get("/admin"))
    item = doc.xpath(f'//article[@id="report-{rid}"]')[0]
    assert "Daily entry: 2511.00001" in texts(item, ".//h3")[0]
    assert texts(item, './/button') == ["Hide entry", "Dismiss"]
    response = post(moderator, f"/admin/reports/{rid}/dismiss")
    assert response.status_code == 303  # type: ignore[attr-defined]
    with session_factory(site.engine)() as s:
        row = s.get(Report, rid)
        entry = s.get(DailyEntry, content.entry)
        assert row is not None and row.resolution == "dismissed"
        assert entry is not None and not entry.hidden
    assert log_actions(site.engine) == ["dismiss-report"]
    # A second click on the old form does nothing more.
    assert post(moderator, f"/admin/reports/{rid}/dismiss"
                ).status_code == 303  # type: ignore[attr-defined]
    assert log_actions(site.engine) == ["dismiss-report"]


def test_a_reader_reports_a_listing_from_the_paper_page(site: Site) -> None:
    author = make_user(site.engine, "spammer")
    content = add_content(site.engine, author)
    alice = logged_in(site, "alice")
    doc = page(alice.get("/papers/2511.00001"))
    form = doc.xpath(f'//details[@class="entry-report"]//form[@action="/entries/'
                     f'{content.entry}/report"]')
    assert form, "no report control on the listing"
    assert form[0].xpath('.//label/@for') == form[0].xpath('.//input[@name="reason"]/@id')
    csrf = str(form[0].xpath('.//input[@name="csrf_token"]/@value')[0])

    def send(client: TestClient, token_value: str, reason: str = "not a paper") -> object:
        return client.post(f"/entries/{content.entry}/report",
                           data={"csrf_token": token_value, "reason": reason})

    def reports() -> list[tuple[int | None, str]]:
        with session_factory(site.engine)() as s:
            return [(r.entry_id, r.reason) for r in s.scalars(select(Report))]

    refused = send(alice, "forged")
    assert refused.status_code == 403 and reports() == []  # type: ignore[attr-defined]
    assert 'value="not a paper"' in refused.text  # type: ignore[attr-defined]
    thanks = send(alice, csrf)
    assert thanks.status_code == 200  # type: ignore[attr-defined]
    assert "The moderators will look at this listing" in thanks.text  # type: ignore[attr-defined]
    assert send(alice, csrf, "again").status_code == 200  # type: ignore[attr-defined]
    assert reports() == [(content.entry, "not a paper")]  # one report per reader
    # the submitter has no control on their own listing and is refused if they try
    spammer = site.client()
    assert login(spammer, "spammer").status_code == 303
    assert not page(spammer.get("/papers/2511.00001")).xpath('//details[@class="entry-report"]')
    own = send(spammer, token(spammer, "/papers/2511.00001"))
    assert own.status_code == 409 and "your own submission" in own.text  # type: ignore[attr-defined]
    # a visitor is sent to log in; an unknown listing is a 404
    visitor = site.client()
    assert not page(visitor.get("/papers/2511.00001")).xpath('//details[@class="entry-report"]')
    assert send(visitor, token(visitor)).status_code == 303  # type: ignore[attr-defined]
    assert alice.post("/entries/999999/report", data={"csrf_token": csrf}).status_code == 404
    # the moderators see it in their queue
    moderator = logged_in(site, "moddy", role="moderator")
    queue = page(moderator.get("/admin"))
    assert any("Daily entry: 2511.00001" in text for text in texts(queue, "//article//h3"))
    assert "not a paper" in queue.xpath("string(//main)")


def test_ban_logs_out_hides_content_and_refuses_login(site: Site) -> None:
    content = add_content(site.engine, make_user(site.engine, "spammer"))
    spammer = site.client()
    assert login(spammer, "spammer").status_code == 303
    assert signed_in_as(spammer) == "spammer"
    moderator = logged_in(site, "moddy", role="moderator")

    doc = page(moderator.get("/admin?user=spa"))
    assert texts(doc, '//li[@class="mod-user"]/a') == ["spammer"]
    form = doc.xpath('//form[@action="/admin/users/spammer/ban"]')[0]
    response = moderator.post("/admin/users/spammer/ban", data={
        "csrf_token": form.xpath('.//input[@name="csrf_token"]/@value')[0],
        "next": form.xpath('.//input[@name="next"]/@value')[0],
        "hide_content": "on", "note": "spam run",
    })
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?user=spa"
    assert signed_in_as(spammer) is None  # the old cookie opens nothing
    assert login(spammer, "spammer").status_code == 400
    with session_factory(site.engine)() as s:
        assert s.scalar(select(func.count()).select_from(UserSession)
                        .where(UserSession.user_id == user_id(site.engine, "spammer"))) == 0
        entry = s.get(DailyEntry, content.entry)
        paper = s.get(Paper, content.paper)
        assert entry is not None and entry.hidden
        assert paper is not None and paper.trending_key is None and paper.comment_count == 1
    assert comment_hidden(site.engine, content.comment)
    assert "Buy pills" not in site.client().get("/papers/2511.00001").text
    doc = page(moderator.get("/admin"))  # listed as banned, with an unban form
    assert doc.xpath('//form[@action="/admin/users/spammer/unban"]')
    assert post(moderator, "/admin/users/spammer/unban").status_code == 303  # type: ignore[attr-defined]
    assert login(spammer, "spammer").status_code == 303
    assert log_actions(site.engine) == ["ban", "unban"]


def test_moderator_cannot_ban_moderators_or_themselves(site: Site) -> None:
    make_user(site.engine, "other", role="moderator")
    moderator = logged_in(site, "moddy", role="moderator")
    doc = page(moderator.get("/admin?user=o"))
    assert not doc.xpath('//form[@action="/admin/users/other/ban"]')
    response = post(moderator, "/admin/users/other/ban")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "only admins can ban or unban moderators" in response.text  # type: ignore[attr-defined]
    response = post(moderator, "/admin/users/moddy/ban")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "yourself" in response.text  # type: ignore[attr-defined]
    assert post(moderator, "/admin/users/nobody/ban").status_code == 404  # type: ignore[attr-defined]
    assert log_actions(site.engine) == []
    admin = logged_in(site, "boss", role="admin")
    assert post(admin, "/admin/users/other/ban").status_code == 303  # type: ignore[attr-defined]
    assert log_actions(site.engine) == ["ban"]


def test_moderator_hides_an_entry_from_the_paper_page(site: Site) -> None:
    content = add_content(site.engine, make_user(site.engine, "author"))
    reader = logged_in(site, "reader")
    assert not page(reader.get("/papers/2511.00001")).xpath('//section[@class="mod-entries"]')
    moderator = logged_in(site, "moddy", role="moderator")
    doc = page(moderator.get("/papers/2511.00001"))
    form = doc.xpath(f'//form[@action="/admin/entries/{content.entry}/hide"]')[0]
    assert texts(form, ".//button") == [f"Hide entry of {DAY.isoformat()}"]
    response = moderator.post(form.get("action"), data={
        "csrf_token": form.xpath('.//input[@name="csrf_token"]/@value')[0],
        "next": form.xpath('.//input[@name="next"]/@value')[0],
    })
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/2511.00001"
    with session_factory(site.engine)() as s:
        entry = s.get(DailyEntry, content.entry)
        assert entry is not None and entry.hidden
    doc = page(moderator.get("/papers/2511.00001"))
    assert doc.xpath(f'//form[@action="/admin/entries/{content.entry}/restore"]')
    assert texts(doc, f'//li[@id="entry-{content.entry}"]/span[@class="badge"]') == ["hidden"]
    # An unsafe "next" goes back to /admin instead.
    response = moderator.post(f"/admin/entries/{content.entry}/restore", data={
        "csrf_token": token(moderator, "/admin"), "next": "//evil.example/"})
    assert response.headers["location"] == "/admin?done=restore-entry"
    assert log_actions(site.engine) == ["hide-entry", "restore-entry"]


def test_admin_reads_the_log_newest_first_in_pages(site: Site) -> None:
    start = datetime(2025, 11, 1, 0, 0)  # noqa: DTZ001
    with write_session(site.engine) as s:
        s.add_all(ModerationAction(
            moderator_name="moddy", action="hide-comment", target_type="comment",
            target_id=n, target_label=f"<i>label {n}</i>", note=f"note {n}",
            created_at=start + timedelta(minutes=n)) for n in range(55))
    admin = logged_in(site, "boss", role="admin")
    doc = page(admin.get("/admin/log"))
    rows = doc.xpath("//table//tbody/tr")
    assert len(rows) == 50
    assert texts(rows[0], "./td[5]") == ["note 54"]
    assert texts(rows[0], './/span[@class="mod-label"]') == ["<i>label 54</i>"]
    assert not doc.xpath("//table//i")
    assert doc.xpath('//a[@rel="next"][@href="/admin/log?page=2"]')
    doc = page(admin.get("/admin/log?page=2"))
    assert [texts(r, "./td[5]")[0] for r in doc.xpath("//table//tbody/tr")] == [
        f"note {n}" for n in range(4, -1, -1)]
