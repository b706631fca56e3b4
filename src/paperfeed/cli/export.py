"""`paperfeed export`: papers as BibTeX, RIS, CSL-JSON or JSON Lines, to stdout or a file."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from paperfeed.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    err_console,
    fail,
    get_engine,
    get_settings,
    user_errors,
)

if TYPE_CHECKING:
    from paperfeed.export.select import Selection


@user_errors
def export(
    fmt: str = typer.Option(..., "--format", "-f",
                            help="bibtex, ris, csl-json or jsonl."),
    day: str | None = typer.Option(None, "--date", help="A day's list, YYYY-MM-DD."),
    query: str | None = typer.Option(None, "--search", help="A search (hybrid by default)."),
    by_ids: bool = typer.Option(False, "--ids", help="Export the IDs given as arguments."),
    ids: list[str] | None = typer.Argument(
        None, metavar="[ID]...", help="arXiv ids or URLs (with --ids; commas also separate)."),
    mode: str = typer.Option("hybrid", "--mode", help="Search mode: hybrid, keyword, semantic."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write to FILE instead of stdout."),
) -> None:
    """Export papers: a day's list (--date D), a search (--search Q) or ids (--ids ID...).

    At most 1000 papers. Exit codes: 0 written; 1 nothing to export (no such day, no
    results, none of the ids stored) or the database is unreachable; 2 bad arguments
    (format, not exactly one of --date/--search/--ids, a malformed date or id); 3 written,
    but some ids are not stored here (they are listed on stderr).
    """
    from paperfeed.export.formats import export_text

    the_day, id_list = _checked(fmt, day, query, by_ids, ids or [], mode)
    selection = _select(the_day, query, id_list, mode)
    _write(export_text(fmt, selection.papers).encode("utf-8"), output, len(selection.papers))
    if selection.truncated:
        err_console.print(f"note: only the first {len(selection.papers)} papers were exported",
                          highlight=False, markup=False)
    if selection.missing:
        err_console.print("not stored here: " + " ".join(selection.missing),
                          highlight=False, markup=False)
        raise typer.Exit(EXIT_PARTIAL)
    raise typer.Exit(EXIT_OK)


def _checked(fmt: str, day: str | None, query: str | None, by_ids: bool, ids: list[str],
             mode: str) -> tuple[date | None, list[str]]:
    """The arguments checked (exit 2 on a usage error): the day, the ids."""
    from paperfeed.export.formats import NAMES
    from paperfeed.export.select import parse_ids
    from paperfeed.search.service import MODES

    if fmt not in NAMES:
        fail(f"unknown --format {fmt!r}: use one of {', '.join(NAMES)}", EXIT_USAGE)
    if ids and not by_ids:
        fail("IDs are given after --ids", EXIT_USAGE)
    if [day is not None, query is not None, by_ids].count(True) != 1:
        fail("give exactly one of --date, --search or --ids", EXIT_USAGE)
    if mode not in MODES:
        fail(f"unknown --mode {mode!r}: use one of {', '.join(MODES)}", EXIT_USAGE)
    the_day: date | None = None
    if day is not None:
        try:
            the_day = date.fromisoformat(day)
        except ValueError:
            fail(f"--date {day!r} is not a date: use YYYY-MM-DD", EXIT_USAGE)
    id_list = [part for text in ids for part in parse_ids(text)]
    if by_ids and not id_list:
        fail("--ids needs at least one arXiv id", EXIT_USAGE)
    return the_day, id_list


def _select(day: date | None, query: str | None, ids: list[str], mode: str) -> Selection:
    """The papers (exit 2 for a malformed id or empty search, 1 for nothing found)."""
    from paperfeed.export import select
    from paperfeed.storage.engine import session_factory

    settings = get_settings()
    engine = get_engine(settings)
    try:
        if day is not None:
            with session_factory(engine)() as session:
                return select.for_day(session, day)
        if query is not None:
            return select.for_search(engine, settings, query, mode=mode)
        with session_factory(engine)() as session:
            return select.for_ids(session, ids)
    except select.BadSelection as exc:
        fail(str(exc), EXIT_USAGE)
    except select.SelectionError as exc:
        fail(str(exc))
    finally:
        engine.dispose()


def _write(data: bytes, output: Path | None, count: int) -> None:
    """The bytes to stdout, or to `output` with a line on stderr saying so."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err_console.print(f"wrote {count} paper{'s' if count != 1 else ''} to {output}",
                      highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
