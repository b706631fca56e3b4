"""`paperfeed search QUERY`: search from the terminal; --json prints the API object."""

from __future__ import annotations

import re
from html import unescape

import typer
from rich.markup import escape

from paperfeed.cli.common import EXIT_USAGE, console, fail, get_engine, get_settings, user_errors

_MARK = re.compile(r"</?mark>")
_BADGE = {"keyword": "keyword", "semantic": "meaning", "both": "keyword+meaning"}


def html_to_rich(html: str) -> str:
    """Our safe snippet HTML (escaped text + <mark>) as rich markup with bold matches."""
    parts = _MARK.split(html)
    marks = _MARK.findall(html)
    out = [escape(unescape(parts[0]))]
    for tag, part in zip(marks, parts[1:], strict=True):
        out.append("[bold yellow]" if tag == "<mark>" else "[/bold yellow]")
        out.append(escape(unescape(part)))
    text = "".join(out)
    if text.count("[bold yellow]") > text.count("[/bold yellow]"):
        text += "[/bold yellow]"
    return text


def register(app: typer.Typer) -> None:
    @app.command("search")
    @user_errors
    def search_cmd(
        query: str = typer.Argument(..., help='Words, "phrases", -exclusions, author:, cat:, '
                                    "year:, after:, before:, title:, or an arXiv id."),
        mode: str = typer.Option("hybrid", "--mode", "-m",
                                 help="hybrid (default), keyword or semantic."),
        limit: int = typer.Option(20, "--limit", "-n", help="Results to show (1-100)."),
        offset: int = typer.Option(0, "--offset", help="Results to skip."),
        sort: str = typer.Option("relevance", "--sort", help="relevance or date."),
        as_json: bool = typer.Option(False, "--json", help="Print the API's JSON object."),
    ) -> None:
        """Search papers by keyword, by meaning, or both."""
        from paperfeed.search.service import MODES, SORTS, search

        if mode not in MODES:
            fail(f"unknown --mode {mode!r}: use one of {', '.join(MODES)}", EXIT_USAGE)
        if sort not in SORTS:
            fail(f"unknown --sort {sort!r}: use one of {', '.join(SORTS)}", EXIT_USAGE)
        settings = get_settings()
        engine = get_engine(settings)
        try:
            resp = search(engine, settings, query, mode=mode, limit=limit, offset=offset,
                          sort=sort)
        finally:
            engine.dispose()
        if as_json:
            typer.echo(resp.model_dump_json())
            return
        for note in resp.notices:
            console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
        if resp.message:
            console.print(escape(resp.message), highlight=False)
            return
        total = f"{resp.total:,}" + ("" if resp.total_exact else "+")
        noun = "result" if total == "1" else "results"
        console.print(
            f"[dim]{total} {noun}, {resp.took_ms:.0f} ms ({resp.mode_used})[/]", highlight=False
        )
        for i, r in enumerate(resp.results, start=resp.offset + 1):
            authors = ", ".join(r.authors[:4]) + (" et al." if len(r.authors) > 4 else "")
            meta = " · ".join(x for x in (r.id, r.primary_category or "", r.published or "") if x)
            console.print(
                f"[bold]{i}.[/] {html_to_rich(r.title_html)}  [dim]\\[{_BADGE[r.matched_by]}][/]",
                highlight=False,
            )
            console.print(f"   [cyan]{escape(meta)}[/]  {escape(authors)}", highlight=False)
            if r.snippet:
                console.print(f"   {html_to_rich(r.snippet)}", highlight=False)
