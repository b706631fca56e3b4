"""`paperfeed digest …` (subscribe, unsubscribe, list, preview, send) and `paperfeed worker`."""

from __future__ import annotations

import signal
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from paperfeed.cli.common import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    console,
    err_console,
    fail,
    get_engine,
    get_settings,
    user_errors,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperfeed.config import Settings
    from paperfeed.digest.outbox import Report
    from paperfeed.digest.periods import Period

digest_app = typer.Typer(
    help="Email digests: subscribe, unsubscribe, list, preview, send.", no_args_is_help=True
)

PERIOD_HELP = "daily or weekly."
STATUSES = ("pending", "active", "paused", "unsubscribed")


def _period(settings: Settings, kind: str, day: date | None) -> Period:
    from paperfeed.digest.service import period_for

    if kind not in ("daily", "weekly"):
        fail(f"unknown period {kind!r}: use daily or weekly", EXIT_USAGE)
    return period_for(settings, kind, day)


@digest_app.command("subscribe")
@user_errors
def subscribe(
    email: str = typer.Argument(..., help="The address to subscribe."),
    confirmed: bool = typer.Option(
        False, "--confirmed", help="Already confirmed (an existing list): no confirmation mail."
    ),
    period: str = typer.Option("daily", "--period", help=PERIOD_HELP),
    category: list[str] = typer.Option([], "--category", help="An arXiv category (repeat)."),
    keyword: list[str] = typer.Option([], "--keyword", help="A keyword (repeat)."),
    author: list[str] = typer.Option([], "--author", help="An author's name (repeat)."),
    search: list[str] = typer.Option([], "--search", help="A saved search query (repeat)."),
    papers: int | None = typer.Option(None, "--papers", min=1, max=50,
                                      help="Papers per digest (default: settings)."),
) -> None:
    """Subscribe an address. Without --confirmed it gets the confirmation mail, as from
    the form, and nothing else until the link in it is followed."""
    from paperfeed.digest import notices
    from paperfeed.digest.service import datetime_now
    from paperfeed.digest.subscriptions import PreferenceError, Preferences
    from paperfeed.mail.addresses import InvalidAddress
    from paperfeed.mail.transport import MailError

    settings = get_settings()
    engine = get_engine(settings)
    prefs = Preferences(period=period, max_papers=papers or settings.digest.papers,
                        categories=category, keywords=keyword, authors=author,
                        searches=search)
    try:
        outcome = notices.subscribe_and_notify(engine, settings, email, now=datetime_now(),
                                               prefs=prefs, confirmed=confirmed)
        address = outcome.subscription.email
    except (InvalidAddress, PreferenceError) as exc:
        fail(str(exc), EXIT_USAGE)
    except MailError as exc:
        fail(f"the mail to {email} could not be sent ({exc}); nothing else is sent to it "
             "until it is confirmed: run this again once mail works")
    finally:
        engine.dispose()
    said = {
        "subscribed": f"subscribed {address} ({period}, confirmed)",
        "confirm": f"sent a confirmation mail to {address}; nothing else is sent until it "
                   "is confirmed",
        "already": f"{address} is already subscribed; sent it a reminder with its manage link",
        "throttled": f"a confirmation mail went to {address} minutes ago; not sent again",
    }[outcome.action]
    console.print(escape(said), highlight=False, soft_wrap=True)


@digest_app.command("unsubscribe")
@user_errors
def unsubscribe(email: str = typer.Argument(..., help="The address to unsubscribe.")) -> None:
    """Stop every digest to an address (as its unsubscribe link does)."""
    from paperfeed.digest.service import datetime_now
    from paperfeed.digest.subscriptions import find
    from paperfeed.digest.subscriptions import unsubscribe as leave
    from paperfeed.storage.engine import write_session

    engine = get_engine(get_settings())
    try:
        with write_session(engine) as session:
            subscription = find(session, email.strip())
            if subscription is None:
                fail(f"{email} is not subscribed")
            changed = leave(subscription, now=datetime_now())
    finally:
        engine.dispose()
    console.print(escape(f"unsubscribed {email}" if changed else f"{email} had already left"),
                  highlight=False)


@digest_app.command("list")
@user_errors
def list_subscriptions(
    status: str | None = typer.Option(
        None, "--status", help="Only pending, active, paused or unsubscribed ones."),
) -> None:
    """List the subscriptions with their status, period, topics and bounces."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from paperfeed.storage.models import Subscription

    if status is not None and status not in STATUSES:
        fail(f"unknown status {status!r}: use {', '.join(STATUSES)}", EXIT_USAGE)
    engine = get_engine(get_settings())
    with Session(engine) as session:
        query = select(Subscription).order_by(Subscription.id)
        if status:
            query = query.where(Subscription.status == status)
        rows = session.scalars(query).all()
    engine.dispose()
    table = Table("email", "status", "period", "papers", "topics", "bounces")
    for row in rows:
        topics = [*row.categories, *row.keywords, *row.authors, *row.searches]
        table.add_row(escape(row.email), row.status, row.period, str(row.max_papers),
                      escape(", ".join(topics)[:80]), str(row.hard_bounces))
    console.print(table)
    console.print(f"{len(rows)} subscription{'s' if len(rows) != 1 else ''}")


@digest_app.command("preview")
@user_errors
def preview(
    email: str = typer.Argument(..., help="A subscribed address."),
    period: str | None = typer.Option(
        None, "--period", help="daily or weekly (default: the subscription's)."),
    day: str | None = typer.Option(
        None, "--date", help="A day in the period, YYYY-MM-DD (default: the one that just "
        "ended)."),
    html: Path | None = typer.Option(None, "--html", help="Also write the HTML part here."),
) -> None:
    """Show exactly what this address would get: the message's headers and its text
    part (and write the HTML part to a file)."""
    from sqlalchemy.orm import Session

    from paperfeed.digest.service import NotSubscribed
    from paperfeed.digest.service import preview as make_preview
    from paperfeed.digest.subscriptions import find

    settings = get_settings()
    engine = get_engine(settings)
    try:
        with Session(engine) as session:
            subscription = find(session, email.strip())
        if subscription is None:
            fail(f"{email} is not subscribed")
        the_period = _period(settings, period or subscription.period, _day(day))
        try:
            shown = make_preview(engine, settings, email, the_period)
        except NotSubscribed as exc:
            fail(str(exc))
    finally:
        engine.dispose()
    if html is not None:  # first, so a path that cannot be written prints nothing else
        try:
            html.write_text(shown.letter.html, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {html}: {exc.strerror}")
    message = shown.message
    for header in ("From", "To", "Subject", "List-Id", "List-Unsubscribe",
                   "List-Unsubscribe-Post"):
        if message[header]:
            console.print(escape(f"{header}: {message[header]}"), highlight=False,
                          soft_wrap=True)
    empty = shown.digest.is_empty
    if empty:
        note = "sent anyway (send_empty)" if settings.digest.send_empty else "not sent"
        console.print(f"(this digest is empty: {note})", highlight=False)
    console.print()
    console.print(escape(shown.letter.text), highlight=False, soft_wrap=True)
    if html is not None:
        err_console.print(f"wrote the HTML part to {escape(str(html))}", highlight=False)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--date {value!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)


def _print_report(report: Report, period: Period, *, dry_run: bool) -> None:
    what = f"{period.kind} digest for {period.label}"
    if dry_run:
        console.print(escape(
            f"{what} (dry run, nothing sent): {report.sent} would be sent, "
            f"{report.empty} empty, {report.skipped} already done"), highlight=False,
            soft_wrap=True)
        return
    parts = [f"{report.sent} sent", f"{report.empty} skipped empty",
             f"{report.retried} retried", f"{report.failed} failed",
             f"{report.unknown} unknown"]
    if report.skipped:
        parts.append(f"{report.skipped} no longer subscribed")
    if report.waiting:
        parts.append(f"{report.waiting} waiting to be retried (run again later)")
    if report.paused:
        parts.append(f"{report.paused} subscriptions paused after bounces")
    console.print(escape(f"{what}: {', '.join(parts)}"), highlight=False, soft_wrap=True)
    for problem in report.problems[:20]:
        err_console.print(escape(f"  {problem}"), highlight=False, soft_wrap=True)


@digest_app.command("send")
@user_errors
def send(
    period: str | None = typer.Option(
        None, "--period", help="daily or weekly (default: both)."),
    day: str | None = typer.Option(
        None, "--date", help="A day in the period to send, YYYY-MM-DD (default: the period "
        "that just ended)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be sent; send "
                                 "nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build and send the digests of a period, each subscriber's at most once (rerun it
    freely). Exit 0 when all went out; 3 when some failed, their fate is unknown, or
    they wait for a retry (the mail server was down or refused the login)."""
    from paperfeed.digest.outbox import dry_run as count_only
    from paperfeed.mail.mailer import mail_url

    settings = get_settings()
    periods = [_period(settings, kind, _day(day))
               for kind in ([period] if period else ["daily", "weekly"])]
    if not dry_run and not mail_url(settings):
        fail("no mail server is configured: set PAPERFEED_SMTP_URL (or use --dry-run)")
    engine = get_engine(settings)
    stop = threading.Event()
    _stop_on_sigterm(stop)
    problems = False
    try:
        for the_period in periods:
            if dry_run:
                _print_report(count_only(engine, settings, the_period), the_period,
                              dry_run=True)
                continue
            report = _send_with_bar(engine, settings, the_period, stop, quiet)
            _print_report(report, the_period, dry_run=False)
            # Left waiting is a problem, unless asked to stop (SIGTERM: a clean stop).
            problems = problems or not report.ok or (bool(report.waiting)
                                                     and not stop.is_set())
            if stop.is_set() or report.halted:
                break
    finally:
        engine.dispose()
    if problems:
        raise typer.Exit(EXIT_PARTIAL)


def _send_with_bar(engine: Engine, settings: Settings, period: Period,
                   stop: threading.Event, quiet: bool) -> Report:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from paperfeed.digest.service import send as send_period

    show = not quiet and err_console.is_terminal
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True, disable=not show) as bar:
        task = bar.add_task(f"{period.kind} digests", total=None)
        return send_period(engine, settings, period, stop=stop,
                           progress=lambda n: bar.advance(task, n),
                           on_total=lambda total: bar.update(task, total=total))


def _stop_on_sigterm(stop: threading.Event) -> None:
    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)


@user_errors
def worker(
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit."),
) -> None:
    """Run the scheduled jobs (see `paperfeed config` for the schedule): harvest the
    configured arXiv RSS categories after the announcement, then embed the new papers;
    send the daily and weekly digests at their hour. One worker acts at a time (a lock in
    the database); SIGTERM finishes the current message and exits."""
    from datetime import UTC, datetime

    from paperfeed.worker.runner import Worker
    from paperfeed.worker.schedule import jobs, next_due

    settings = get_settings()
    engine = get_engine(settings)
    stop = threading.Event()
    _stop_on_sigterm(stop)

    def say(message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        console.print(escape(f"{stamp} {message}"), highlight=False, soft_wrap=True)

    now = datetime.now(UTC)
    for job in jobs(settings):
        say(f"{job.name}: {job.when()}, next {next_due(job, now):%Y-%m-%d %H:%M} UTC "
            f"({job.description})")
    try:
        code = Worker(engine, settings, stop=stop, on_event=say).run(once=once)
    finally:
        engine.dispose()
    if stop.is_set():
        say("stopped")
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
    app.command("worker")(worker)
