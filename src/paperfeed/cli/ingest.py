"""`paperfeed import FILE...` and `paperfeed feature DATE ID...`: papers in, by hand."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer
from rich.markup import escape

from paperfeed.cli.common import (
    EXIT_ERROR,
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
from paperfeed.sources.parsers import FORMATS

if TYPE_CHECKING:
    from paperfeed.ingest.importer import InputFile
    from paperfeed.ingest.report import IngestReport
    from paperfeed.records import RejectedRecord

FORMAT_CHOICES = ("auto", *FORMATS)
SHOW_REJECTS = 20


class _Rejects:
    """Counts rejected records, lists the first few, writes all raw records to a file."""

    def __init__(self, out: IO[bytes] | None) -> None:
        self.out = out
        self.count = 0
        self.first: list[RejectedRecord] = []

    def __call__(self, rejected: RejectedRecord) -> None:
        from paperfeed.ingest.importer import write_reject

        self.count += 1
        if len(self.first) < SHOW_REJECTS:
            self.first.append(rejected)
        if self.out is not None:
            write_reject(self.out, rejected)

    def print(self, rejects_path: Path | None) -> None:
        for r in self.first:
            err_console.print(f"{escape(r.location)}: {escape(r.reason)}", highlight=False,
                              soft_wrap=True)
        more = self.count - len(self.first)
        if more > 0:
            where = f" (all in {rejects_path})" if rejects_path else " (--rejects FILE keeps them)"
            err_console.print(f"… and {more:,} more rejected{where}", highlight=False)


def _open_all(files: list[str], fmt: str) -> list[InputFile]:
    """Open every input before anything is written; unknown formats exit 2, unreadable
    files exit 1."""
    from paperfeed.ingest.importer import InputError, open_input

    opened: list[InputFile] = []
    unknown: list[str] = []
    missing: list[str] = []
    for name in files:
        try:
            opened.append(open_input(name, fmt))
        except InputError as exc:
            (unknown if exc.unknown_format else missing).append(str(exc))
    if unknown or missing:
        for inp in opened:
            inp.close()
        for line in missing + unknown:
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False,
                              soft_wrap=True)
        raise typer.Exit(EXIT_ERROR if missing else EXIT_USAGE)
    return opened


def _summary(report: IngestReport, seconds: float) -> str:
    parts = report.summary_parts(deleted_note="skipped")
    stored = report.records
    rate = f" ({stored / seconds:,.0f} papers/s)" if stored and seconds > 0 else ""
    return ", ".join(parts) + f" in {seconds:.1f} s" + rate


@user_errors
def import_(
    files: list[str] = typer.Argument(..., help="Files to import; - reads stdin; .gz accepted."),
    fmt: str = typer.Option(
        "auto", "--format", "-f", help="Source format: " + ", ".join(FORMAT_CHOICES) + ".",
        case_sensitive=False,
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Write the raw rejected records to this file."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no report."),
    batch_size: int = typer.Option(
        2000, "--batch-size", min=1, max=100_000, help="Papers per transaction."
    ),
) -> None:
    """Import papers from local files (arXiv API, OAI-PMH, RSS, snapshot, HF daily JSON).

    Re-importing changes nothing; newer versions update papers, older ones never
    overwrite. Exit codes: 0 all imported, 3 some records rejected, 2 a file is not a
    known format (nothing is written), 1 missing file or an error feed.
    """
    from paperfeed.ingest.importer import InputError, StoreError, import_file
    from paperfeed.ingest.report import IngestReport

    fmt = fmt.lower()
    if fmt not in FORMAT_CHOICES:
        fail(f"unknown --format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}", EXIT_USAGE)
    inputs = _open_all(files, fmt)
    engine = get_engine(get_settings())
    out = rejects.open("wb") if rejects else None
    sink = _Rejects(out)
    total = IngestReport()
    started = time.perf_counter()
    code = EXIT_OK
    show_bar = not quiet and console.is_terminal
    try:
        with _progress(show_bar, inputs) as bar:
            for inp in inputs:
                try:
                    done = total.added + total.updated + total.unchanged

                    def on_batch(rep: IngestReport, inp: InputFile = inp, done: int = done) -> None:
                        bar.update(inp, done + rep.added + rep.updated + rep.unchanged)

                    total.merge(import_file(engine, inp, batch_size=batch_size,
                                            on_reject=sink, on_batch=on_batch))
                except InputError as exc:
                    err_console.print(f"[bold red]error:[/] {escape(str(exc))}",
                                      highlight=False, soft_wrap=True)
                    code = EXIT_ERROR
                except StoreError as exc:  # the database failed: stop here
                    fail(escape(str(exc)))
                finally:
                    bar.finish(inp)
                    inp.close()
    finally:
        if out is not None:
            out.close()
    elapsed = time.perf_counter() - started
    sink.print(rejects)
    if not quiet:
        console.print(_summary(total, elapsed), highlight=False)
    if code == EXIT_OK and total.rejected:
        code = EXIT_PARTIAL
    raise typer.Exit(code)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, inp: InputFile, papers: int) -> None:
        pass

    def finish(self, inp: InputFile) -> None:
        pass


class _Bar(_NoBar):
    """Rich progress over the input bytes (ETA when sizes are known) with papers/s."""

    def __init__(self, inputs: list[InputFile]) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[papers]:>10,} papers"),
            TextColumn("{task.fields[rate]:>8,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks = {
            id(inp): self.progress.add_task(inp.name, total=inp.size, papers=0, rate=0.0)
            for inp in inputs
        }
        self.started = time.perf_counter()

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, inp: InputFile, papers: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        self.progress.update(self.tasks[id(inp)], completed=inp.position(), papers=papers,
                             rate=papers / elapsed)

    def finish(self, inp: InputFile) -> None:
        task = self.tasks[id(inp)]
        if inp.size is not None:
            self.progress.update(task, completed=inp.size)


def _progress(show: bool, inputs: list[InputFile]) -> _NoBar:
    return _Bar(inputs) if show else _NoBar()


def _parse_day(text: str) -> date:
    if text.lower() == "today":
        return datetime.now().astimezone().date()  # the local day, as the user means it
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date: {text!r} (use YYYY-MM-DD)", EXIT_USAGE)


@user_errors
def feature_cmd(
    day: str = typer.Argument(..., help="The day's list, YYYY-MM-DD (or 'today')."),
    ids: list[str] = typer.Argument(..., help="arXiv ids or URLs, in any pasted form."),
    by: str | None = typer.Option(None, "--by", help="Name to show as the submitter."),
) -> None:
    """Put stored papers on a day's list. Exit 1 when an id is unknown."""
    from paperfeed.ingest.daily import feature

    when = _parse_day(day)
    engine = get_engine(get_settings())
    result = feature(engine, when, ids, source="manual", submitted_by=by)
    if result.added:
        console.print(f"added to {when}: {', '.join(result.added)}", highlight=False)
    if result.already:
        console.print(f"already on {when}: {', '.join(result.already)}", highlight=False)
    if result.unknown:
        err_console.print(
            f"[bold red]error:[/] not in the database: {escape(', '.join(result.unknown))}",
            highlight=False, soft_wrap=True,
        )
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("feature")(feature_cmd)
