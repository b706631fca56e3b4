"""Sending digests to a real SMTP server on loopback: exactly once, whatever the server
answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from paperfeed.digest.service import send
from tests.digest.conftest import Env
from tests.digest.helpers import (
    add_subscriber,
    digests_to,
    outbox_rows,
    send_period,
    subscription,
)


def test_a_confirmed_subscriber_gets_one_digest_however_often_send_runs(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    first = send_period(env)
    second = send_period(env)
    assert (first.sent, second.sent) == (1, 0)
    assert len(digests_to(env, "ada@example.org")) == 1
    assert [row.status for row in outbox_rows(env)] == ["sent"]


def test_an_unconfirmed_address_gets_its_confirmation_and_nothing_else(env: Env) -> None:
    add_subscriber(env, "bob@example.org", confirmed=False, categories=["cs.LG"])
    report = send_period(env)
    assert report.sent == 0
    received = [m for m in env.smtp.messages if m["To"] == "bob@example.org"]
    assert len(received) == 1
    assert "Confirm" in received[0]["Subject"]
    assert digests_to(env, "bob@example.org") == []


def test_a_temporary_failure_is_retried_and_one_mail_arrives(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    env.smtp.script(["421"])
    report = send_period(env)
    assert (report.sent, report.retried, report.failed) == (1, 1, 0)
    assert len(digests_to(env, "ada@example.org")) == 1
    assert outbox_rows(env)[0].attempts == 2


def test_a_permanent_failure_is_not_retried_and_counts_a_bounce(env: Env) -> None:
    add_subscriber(env, "gone@example.org", categories=["cs.LG"])
    env.smtp.script(["550"])
    report = send_period(env)
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    assert digests_to(env, "gone@example.org") == []
    assert outbox_rows(env)[0].status == "failed"
    assert outbox_rows(env)[0].attempts == 1
    assert subscription(env, "gone@example.org").hard_bounces == 1
    assert send_period(env).sent == 0  # a failed digest stays failed


def test_hard_bounces_pause_a_subscription(env: Env) -> None:
    from dataclasses import replace

    from paperfeed.digest.periods import containing

    env.settings.digest.max_hard_bounces = 2
    env.settings.digest.send_empty = True
    add_subscriber(env, "gone@example.org", categories=["cs.LG"])
    for day in (env.period.start, env.period.start.replace(day=29)):
        env.smtp.script(["550"])
        send(env.engine, env.settings, containing("daily", day))
    assert subscription(env, "gone@example.org").status == "paused"
    later = replace(env, period=containing("daily", env.period.start.replace(day=28)))
    assert send_period(later).queued == 0  # paused: not queued any more


def test_a_connection_lost_after_the_data_is_unknown_and_never_resent(env: Env) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    env.smtp.script(["drop-after-data"])
    report = send_period(env)
    assert (report.sent, report.unknown) == (0, 1)
    assert report.problems and "ada@example.org" in report.problems[0]
    assert outbox_rows(env)[0].status == "unknown"
    again = send_period(env)
    assert again.sent == 0
    assert len(digests_to(env, "ada@example.org")) <= 1  # the server may have kept it


def test_connection_refused_is_retried_later(env: Env, unused_port: int) -> None:
    add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    env.settings.smtp_url = f"smtp://127.0.0.1:{unused_port}"
    env.settings.digest.retry_window = 0
    env.settings.digest.retry_seconds = 3600  # the retry is not due within this run
    report = send_period(env)
    assert (report.sent, report.retried, report.waiting) == (0, 1, 1)
    assert outbox_rows(env)[0].status == "pending"


def test_two_senders_at_once_send_each_digest_once(env: Env) -> None:
    emails = [f"reader{n}@example.org" for n in range(40)]
    for email in emails:
        add_subscriber(env, email, categories=["cs.LG"])
    reports = []

    def run() -> None:
        reports.append(send_period(env))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 40
    for email in emails:
        assert len(digests_to(env, email)) == 1, email


def test_an_empty_digest_is_not_sent_unless_configured(env: Env) -> None:
    from paperfeed.digest.periods import containing

    add_subscriber(env, "ada@example.org", categories=["hep-th"])
    empty_day = containing("daily", env.period.start.replace(day=20))
    report = send(env.engine, env.settings, empty_day)
    assert (report.sent, report.empty) == (0, 1)
    env.settings.digest.send_empty = True
    other_day = containing("daily", env.period.start.replace(day=21))
    assert send(env.engine, env.settings, other_day).sent == 1


def test_who_left_before_sending_gets_nothing(env: Env) -> None:
    from paperfeed.digest.outbox import enqueue
    from paperfeed.digest.subscriptions import unsubscribe
    from paperfeed.storage.engine import write_session
    from paperfeed.storage.models import Subscription
    from tests.digest.conftest import NOW

    outcome = add_subscriber(env, "ada@example.org", categories=["cs.LG"])
    assert enqueue(env.engine, env.period) == 1
    with write_session(env.engine) as session:
        row = session.get(Subscription, outcome.subscription.id)
        assert row is not None
        unsubscribe(row, now=NOW)
    report = send_period(env)
    assert (report.sent, report.skipped) == (0, 1)
    assert digests_to(env, "ada@example.org") == []
