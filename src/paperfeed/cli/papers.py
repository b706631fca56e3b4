"""`paperfeed show`, `stats`, `config`: look at what is stored and how it is set up."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from paperfeed.cli.common import console, fail, get_engine, get_settings, user_errors


@user_errors
def show(
    arxiv_id: str = typer.Argument(..., help="arXiv id or URL, e.g. 2411.17700 or hep-th/9901001."),
    as_json: bool = typer.Option(False, "--json", help="Print the canonical paper JSON."),
) -> None:
    """Print one paper."""
    from paperfeed.ids import InvalidArxivId, parse_arxiv_id
    from paperfeed.storage.engine import session_factory
    from paperfeed.storage.paper_json import paper_to_dict
    from paperfeed.storage.queries import get_paper

    try:
        canonical = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as exc:
        fail(str(exc))
    engine = get_engine(get_settings())
    with session_factory(engine)() as session:
        paper = get_paper(session, canonical)
        if paper is None:
            fail(f"no paper {canonical} in the database")
        data = paper_to_dict(paper)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{escape(data['title'])}[/]")
    console.print(escape(", ".join(data["authors"])))
    meta = f"{data['id']}v{data['version']}  {' '.join(data['categories'])}"
    console.print(f"[dim]{escape(meta)}  published {data['published']}  updated {data['updated']}"
                  f"  upvotes {data['upvotes']}[/]")
    labels = {"comments": "author comments", "journal_ref": "journal ref", "doi": "doi",
              "license": "license"}
    for key, label in labels.items():
        if data[key]:
            console.print(f"[dim]{label}:[/] {escape(str(data[key]))}")
    if data["withdrawn"]:
        console.print("[red]withdrawn[/]")
    console.print()
    console.print(escape(data["abstract"]))


@user_errors
def stats(as_json: bool = typer.Option(False, "--json", help="Print counts as JSON.")) -> None:
    """Print how many papers, versions, daily entries, users, votes and comments are stored."""
    from paperfeed.storage.engine import session_factory
    from paperfeed.storage.queries import stats as count_all

    engine = get_engine(get_settings())
    with session_factory(engine)() as session:
        counts = count_all(session)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    for key, value in counts.items():
        console.print(f"{key:>14}  {value:,}")


@user_errors
def config(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Print the effective settings (secrets masked) and the worker's schedule."""
    from paperfeed.config import effective_settings
    from paperfeed.worker.schedule import jobs

    settings = get_settings()
    values = effective_settings(settings)
    schedule = [{"job": job.name, "when": job.when(), "does": job.description}
                for job in jobs(settings)]
    if as_json:
        typer.echo(json.dumps({**values, "schedule": schedule}, indent=2, default=str))
        return
    for key, value in values.items():
        console.print(f"[bold]{key}[/] = {escape(json.dumps(value, default=str))}")
    console.print("[bold]schedule[/] (paperfeed worker):")
    for job in schedule:
        console.print(escape(f"  {job['job']}: {job['when']}: {job['does']}"), highlight=False,
                      soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("show")(show)
    app.command("stats")(stats)
    app.command("config")(config)
