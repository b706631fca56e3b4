"""Crashes and stops in the middle of sending, with a real `paperfeed digest send` and
`paperfeed worker` process and a real SMTP server on loopback: every subscriber ends
with exactly one digest (but any marked unknown), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperfeed.digest.subscriptions import subscribe
from paperfeed.storage.engine import write_session
from paperfeed.storage.locks import DatabaseLock
from paperfeed.storage.models import DigestOutbox, Subscription
from paperfeed.worker.runner import Worker
from tests.digest.conftest import NOW, Env

pytestmark = pytest.mark.slow
SUBSCRIBERS = 1000


def _add_many(env: Env, count: int) -> list[str]:
    emails = [f"reader{n:04d}@example.org" for n in range(count)]
    with write_session(env.engine) as session:
        for email in emails:
            subscribe(session, email, env.settings, now=NOW, confirmed=True)
    with write_session(env.engine) as session:  # one topic for all: composing is cheap
        for row in session.scalars(select(Subscription)):
            row.categories = ["cs.LG"]
    return emails


def _environment(env: Env, tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    out.update({
        "PAPERFEED_DATABASE_URL": env.engine.url.render_as_string(hide_password=False),
        "PAPERFEED_SECRET_KEY": "k" * 32, "PAPERFEED_SMTP_URL": env.smtp.url,
        "PAPERFEED_BASE_URL": "https://papers.example.org",
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1",
    })
    return out


def _start_send(env: Env, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "digest", "send", "--period", "daily",
         "--date", env.period.start.isoformat(), "--quiet"],
        env=_environment(env, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def _when(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Wait until `condition` holds (or the process ended on its own)."""
    while not condition() and process.poll() is None:
        time.sleep(0.005)


def _statuses(env: Env) -> dict[str, str]:
    with Session(env.engine) as session:
        rows = session.execute(select(Subscription.email, DigestOutbox.status).join(
            DigestOutbox, DigestOutbox.subscription_id == Subscription.id)).all()
    return {email: status for email, status in rows}


def _received(env: Env) -> Counter[str]:
    return Counter(str(m["To"]) for m in env.smtp.messages)


def test_kill_9_halfway_then_a_rerun_gives_everyone_exactly_one(env: Env,
                                                                tmp_path: Path) -> None:
    emails = _add_many(env, SUBSCRIBERS)
    process = _start_send(env, tmp_path)
    _when(lambda: len(env.smtp.messages) >= SUBSCRIBERS // 3, process)
    process.kill()  # SIGKILL: no cleanup at all
    process.wait()
    killed_at = len(env.smtp.messages)
    assert killed_at < SUBSCRIBERS, "the sender finished before it could be killed"
    rerun = _start_send(env, tmp_path)
    output, _ = rerun.communicate()
    assert rerun.returncode in (0, 3), output
    statuses = _statuses(env)
    received = _received(env)
    unknown = [email for email, status in statuses.items() if status == "unknown"]
    assert len(unknown) <= 1  # at most the one message being handed over when killed
    for email in emails:
        if email in unknown:
            assert received[email] <= 1, email
        else:
            assert statuses[email] == "sent", email
            assert received[email] == 1, email
    if unknown:
        assert "1 unknown" in output


def test_sigterm_finishes_the_current_message_and_a_rerun_sends_the_rest(
        env: Env, tmp_path: Path) -> None:
    emails = _add_many(env, 150)
    process = _start_send(env, tmp_path)
    _when(lambda: len(env.smtp.messages) >= 30, process)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate()
    assert process.returncode == 0, output
    statuses = _statuses(env)
    assert "unknown" not in statuses.values()
    assert not {"claimed", "sending"} & set(statuses.values())  # nothing left half-done
    rerun = _start_send(env, tmp_path)
    rerun.communicate()
    received = _received(env)
    assert all(received[email] == 1 for email in emails)


def test_one_worker_acts_while_another_holds_the_lock(env: Env) -> None:
    _add_many(env, 3)
    first = DatabaseLock(env.engine, "worker", "first-worker")
    assert first.acquire()
    try:
        second = Worker(env.engine, env.settings, on_event=lambda _m: None)
        assert second.run(once=True) == 1
        assert env.smtp.messages == []
        assert first.holder() == "first-worker"
    finally:
        first.release()
    assert Worker(env.engine, env.settings, on_event=lambda _m: None).run(once=True) == 0


def test_the_worker_sends_the_digests_at_their_hour_once(env: Env) -> None:
    from datetime import UTC, datetime

    emails = _add_many(env, 3)
    env.settings.digest.send_at = "07:00"
    morning = datetime(2026, 12, 1, 7, 5, tzinfo=UTC)  # the day after DAY
    worker = Worker(env.engine, env.settings, clock=lambda: morning,
                    on_event=lambda _m: None)
    assert worker.run_due() and worker.run_due() == []
    assert sorted(_received(env)) == emails
    early = Worker(env.engine, env.settings,
                   clock=lambda: datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
                   on_event=lambda _m: None)
    assert early.run_due() == []  # the next day's digests are not due before 07:00


def test_sigterm_stops_the_worker_cleanly(env: Env, tmp_path: Path) -> None:
    environment = _environment(env, tmp_path)
    environment["PAPERFEED_WORKER__POLL_SECONDS"] = "0.2"
    process = subprocess.Popen([sys.executable, "-m", "paperfeed", "worker"],
                               env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    _when(lambda: any("digest-weekly" in line for line in lines), process)
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 0, "".join(lines)
    reader.join()
    assert "stopped" in "".join(lines)
    assert DatabaseLock(env.engine, "worker", "after").acquire()  # released on the way out


def test_a_mail_server_outage_leaves_the_digest_job_unfinished_until_it_is_back(
    env: Env, unused_port: int
) -> None:
    """The worker's digest job with the mail server down: nothing is lost and the job is
    not recorded as run; it is tried again RETRY_AFTER later (not at every poll), and
    once the server is back every digest goes out, once."""
    from datetime import UTC, datetime

    from paperfeed.worker.runner import RETRY_AFTER, last_run

    emails = _add_many(env, 3)
    env.settings.digest.send_at = "07:00"
    env.settings.digest.retry_window = 0.0  # leave retries to a later run
    working_url = env.settings.smtp_url
    env.settings.smtp_url = f"smtp://127.0.0.1:{unused_port}"  # refused: temporary
    now = [datetime(2026, 12, 1, 7, 5, tzinfo=UTC)]
    events: list[str] = []
    worker = Worker(env.engine, env.settings, clock=lambda: now[0], on_event=events.append)
    worker.functions = {"digest-daily": worker.functions["digest-daily"]}

    [first] = worker.run_due()
    assert first.startswith("digest-daily: unfinished") and "3 waiting" in first
    assert "tried again in 10 minutes" in events[-1]
    assert last_run(env.engine, "digest-daily") is None
    assert set(_statuses(env).values()) == {"pending"}

    now[0] += RETRY_AFTER / 2
    assert worker.run_due() == []  # not at every poll
    env.settings.smtp_url = working_url
    now[0] += RETRY_AFTER
    [second] = worker.run_due()
    assert "3 sent" in second and "unfinished" not in second
    assert sorted(_received(env)) == emails
    assert last_run(env.engine, "digest-daily") is not None
    now[0] += RETRY_AFTER
    assert worker.run_due() == []  # done for the day
    assert sorted(_received(env)) == emails


def test_a_mail_configuration_error_ends_the_run_but_not_the_worker(env: Env) -> None:
    """Wrong SMTP credentials: the run stops at once with the digest back in the queue
    and says why; the worker's own stop event is untouched, so it keeps running."""
    from paperfeed.digest.service import send
    from tests.mail.smtpd import SmtpServer

    _add_many(env, 2)
    stop = threading.Event()
    with SmtpServer(credentials=("digest", "right")) as server:
        env.settings.smtp_url = server.url.replace("smtp://", "smtp://digest:wrong@")
        report = send(env.engine, env.settings, env.period, stop=stop)
        assert server.messages == []
    assert not stop.is_set()
    assert report.sent == 0 and report.waiting == 2
    assert report.problems and "535" in report.problems[0]
    assert set(_statuses(env).values()) == {"pending"}
