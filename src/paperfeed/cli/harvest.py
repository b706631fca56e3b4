"""`paperfeed harvest arxiv-api|oai|rss`: pull papers from arXiv over the network.

Polite (one request at a time, ``request_interval`` seconds apart and never under 3 s
for arXiv's hosts, Retry-After honoured), resumable (progress saved after every page),
and pointable at another server with ``--base-url``. Requests go only to the hosts of
the configured source addresses and of ``--base-url``, within the timeouts and size
cap of the settings (:mod:`paperfeed.sources.outbound`). Exit codes: 0 done, 1 source
or network error (progress kept), 2 bad arguments, 3 done but some records were
rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from paperfeed.cli.common import (
    EXIT_OK,
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
    from paperfeed.ingest.harvest import PageCallback
    from paperfeed.ingest.report import IngestReport
    from paperfeed.sources.http import PoliteClient

    Job = Callable[[Engine, PoliteClient, Settings, PageCallback], IngestReport]

harvest_app = typer.Typer(
    help="Pull papers from arXiv over the network (polite, resumable).", no_args_is_help=True
)

MAX_REJECTS_SHOWN = 20


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} must be a date like 2024-01-31, not {value!r}", EXIT_USAGE)


def _summary(name: str, report: IngestReport) -> str:
    parts = [
        f"{report.pages} page{'s' if report.pages != 1 else ''}",
        *report.summary_parts(deleted_note="kept", listed_label="put on the daily list"),
    ]
    if report.retries:
        parts.append(f"{report.retries} retr{'ies' if report.retries != 1 else 'y'}")
    return f"harvest {name}: " + ", ".join(parts)


@contextmanager
def _progress(quiet: bool, label: str) -> Iterator[PageCallback]:
    """A status line on a terminal (nothing in scripts); yields the per-page callback."""
    show = not quiet and console.is_terminal
    if not show:
        yield lambda report: None
        return
    with console.status(f"harvest {label}: fetching page 1…") as status:

        def update(report: IngestReport) -> None:
            status.update(f"{escape(_summary(label, report))}; fetching page {report.pages + 1}…")

        yield update


def _run(
    name: str, quiet: bool, job: Job, base_url: str | None, *, resumable: bool = True
) -> None:
    """Run a harvest job with the polite client (allowed to fetch from the configured
    sources and `base_url`); print the report; exit with its code."""
    from paperfeed.sources.errors import SourceError
    from paperfeed.sources.gate import file_gate
    from paperfeed.sources.http import PoliteClient
    from paperfeed.sources.outbound import allowed_hosts, is_http_url, limits_from

    if base_url is not None and not is_http_url(base_url):
        fail(f"--base-url must be an http(s) address such as https://host/path, not {base_url!r}",
             EXIT_USAGE)
    settings = get_settings()
    engine = get_engine(settings)

    def on_retry(problem: str, wait: float) -> None:
        if not quiet:
            err_console.print(
                f"[yellow]{escape(problem)}; retrying in {wait:.0f} s[/]",
                highlight=False,
                soft_wrap=True,
            )

    def on_warning(message: str) -> None:
        if not quiet:
            err_console.print(
                f"[yellow]warning: {escape(message)}[/]", highlight=False, soft_wrap=True
            )

    gate = file_gate(settings.data_dir / "arxiv-requests.lock")
    client = PoliteClient(
        settings.user_agent,
        settings.request_interval,
        on_retry=on_retry,
        on_warning=on_warning,
        gate=gate,
        limits=limits_from(settings),
        hosts=allowed_hosts(settings, base_url),
    )
    try:
        with client, _progress(quiet, name) as on_page:
            report = job(engine, client, settings, on_page)
    except SourceError as exc:
        hint = " (progress is saved: run the same command again to resume)" if resumable else ""
        fail(f"{exc}{hint}")
    finally:
        engine.dispose()
    if not quiet:
        for note in report.notes:
            err_console.print(escape(note), highlight=False, soft_wrap=True)
        console.print(escape(_summary(name, report)), highlight=False, soft_wrap=True)
    for rej in report.rejects[:MAX_REJECTS_SHOWN]:
        err_console.print(
            f"rejected {escape(rej.location)}: {escape(rej.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(report.rejects) > MAX_REJECTS_SHOWN:
        err_console.print(f"… and {len(report.rejects) - MAX_REJECTS_SHOWN} more rejected")
    raise typer.Exit(EXIT_PARTIAL if report.rejected else EXIT_OK)


BASE_URL_HELP = "Server to harvest from instead of the configured one (e.g. a local mirror)."
QUIET_HELP = "No progress, retry messages or report; errors and rejects only."


@harvest_app.command("arxiv-api")
@user_errors
def arxiv_api(
    query: str | None = typer.Option(
        None, "--query", "-q", help="arXiv search query, e.g. 'ti:\"diffusion\" AND cat:cs.CV'."
    ),
    category: list[str] = typer.Option(
        [], "--category", help="Category to harvest (repeatable), e.g. cs.LG."
    ),
    max_results: int | None = typer.Option(
        None, "--max", min=1, help="Stop after this many papers (newest submissions first)."
    ),
    page_size: int = typer.Option(100, "--page-size", min=1, max=2000, help="Papers per request."),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    restart: bool = typer.Option(False, "--restart", help="Ignore saved progress."),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
) -> None:
    """Harvest the arXiv search API (Atom) for a query or categories."""
    from paperfeed.ingest.harvest import category_query, harvest_arxiv_api

    if bool(query) == bool(category):
        fail("give either --query or one or more --category", EXIT_USAGE)
    search = query or category_query(category)

    def job(
        engine: Engine, client: PoliteClient, settings: Settings, on_page: PageCallback
    ) -> IngestReport:
        return harvest_arxiv_api(
            engine,
            client,
            query=search,
            base_url=base_url or settings.arxiv_api_url,
            max_results=max_results,
            page_size=page_size,
            restart=restart,
            on_page=on_page,
        )

    _run("arxiv-api", quiet, job, base_url)


@harvest_app.command("oai")
@user_errors
def oai(
    set_spec: str | None = typer.Option(
        None, "--set", help="OAI set, e.g. cs, math, physics:hep-th (default: everything)."
    ),
    from_: str | None = typer.Option(
        None,
        "--from",
        help="First datestamp (YYYY-MM-DD); default: where the last complete "
        "harvest of this set ended.",
    ),
    until: str | None = typer.Option(None, "--until", help="Last datestamp (YYYY-MM-DD)."),
    metadata_prefix: str = typer.Option(
        "arXivRaw", "--metadata-prefix", help="arXivRaw (with versions), arXiv or oai_dc."
    ),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    restart: bool = typer.Option(False, "--restart", help="Ignore a saved resumption token."),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
) -> None:
    """Harvest arXiv's OAI-PMH interface by date (incremental, resumable)."""
    from paperfeed.ingest.harvest import METADATA_PREFIXES, harvest_oai, last_oai_until

    if metadata_prefix not in METADATA_PREFIXES:
        fail(f"--metadata-prefix must be one of {', '.join(METADATA_PREFIXES)}", EXIT_USAGE)
    start = _parse_date(from_, "--from")
    end = _parse_date(until, "--until")
    if start and end and end < start:
        fail("--until is before --from", EXIT_USAGE)
    def job(
        engine: Engine, client: PoliteClient, settings: Settings, on_page: PageCallback
    ) -> IngestReport:
        url = base_url or settings.oai_url
        begin = start or last_oai_until(engine, url, metadata_prefix, set_spec)
        if begin is None:
            fail("--from is required for the first harvest of this set", EXIT_USAGE)
        return harvest_oai(
            engine,
            client,
            base_url=url,
            set_spec=set_spec,
            from_=begin,
            until=end,
            metadata_prefix=metadata_prefix,
            restart=restart,
            on_page=on_page,
        )

    _run("oai", quiet, job, base_url)


@harvest_app.command("rss")
@user_errors
def rss(
    categories: list[str] = typer.Argument(
        ..., help="Archives or categories, e.g. cs.LG stat.ML hep-th."
    ),
    base_url: str | None = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    force: bool = typer.Option(False, "--force", help="Process a listing already harvested."),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
) -> None:
    """Harvest today's arXiv listing feed; new papers matching the rules go on the day's list."""
    from paperfeed.ingest.harvest import harvest_rss

    def job(
        engine: Engine, client: PoliteClient, settings: Settings, on_page: PageCallback
    ) -> IngestReport:
        return harvest_rss(
            engine,
            client,
            categories=categories,
            rules=settings.rules,
            base_url=base_url or settings.worker.rss_url,
            force=force,
            on_page=on_page,
        )

    _run("rss", quiet, job, base_url, resumable=False)


def register(app: typer.Typer) -> None:
    app.add_typer(harvest_app, name="harvest")
