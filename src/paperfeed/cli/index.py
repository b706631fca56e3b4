"""`paperfeed index`: embed what is new for semantic search and update the ANN index."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from paperfeed.cli.common import (
    EXIT_USAGE,
    console,
    err_console,
    fail,
    get_engine,
    get_settings,
    user_errors,
)


@user_errors
def index(
    model: str | None = typer.Option(
        None, "--model", help="Embedding model: minilm-static (default) or minilm."
    ),
    batch_size: int = typer.Option(512, "--batch-size", min=1, help="Papers per batch."),
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Drop this model's vectors and index, then embed everything."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Embed papers that have no current vector (new, or title/abstract changed) and bring
    the nearest-neighbour index up to date. Incremental; rerun after an interruption."""
    from paperfeed.search.embedder import MODELS, ModelUnavailable
    from paperfeed.search.indexing import index_location, index_missing

    settings = get_settings()
    name = model or settings.embedding_model
    if name not in MODELS:
        fail(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}", EXIT_USAGE)
    engine = get_engine(settings)
    from paperfeed.search.keyword import optimize_index

    optimize_index(engine)  # keyword index: merge segments left by imports (seconds)
    started = time.perf_counter()
    show = not quiet and err_console.is_terminal
    try:
        if show:
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), console=err_console, transient=True,
            ) as bar:
                task = bar.add_task("embedding", total=None)

                def report(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                def phase(message: str) -> None:
                    bar.update(task, description=message)

                count = index_missing(
                    engine, settings, progress=report, model=name, batch_size=batch_size,
                    rebuild=rebuild, status=phase,
                )
        else:
            count = index_missing(
                engine, settings, model=name, batch_size=batch_size, rebuild=rebuild
            )
        where = index_location(engine, name)
    except ModelUnavailable as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if not quiet:
        console.print(
            f"embedded {count} papers with {name} in {time.perf_counter() - started:.1f} s; "
            f"semantic index up to date ({where})", highlight=False, soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command("index")(index)
