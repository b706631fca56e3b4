"""`paperfeed serve` and `paperfeed demo`: run the web app."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import typer

from paperfeed.cli.common import console, fail, get_engine, get_settings, state, user_errors


def _check_port_free(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        fail(f"cannot resolve host {host!r}")
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port")


@user_errors
def serve(
    host: str | None = typer.Option(None, "--host", help="Address to bind (default: settings)."),
    port: int | None = typer.Option(None, "--port", "-p", help="Port (default: settings)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64,
                                help="Worker processes (use several with PostgreSQL)."),
    page_cache: float = typer.Option(
        1.0, "--page-cache", min=0, max=3600,
        help="Seconds an anonymous page view may be reused (0: render every request).",
    ),
) -> None:
    """Serve the web app on the configured database."""
    import uvicorn

    from paperfeed.web.app import PAGE_CACHE_ENV, create_app, ready_to_serve

    settings = get_settings(host=host, port=port)
    problem = settings.secret_key_problem()
    if problem:
        fail(problem)
    engine = get_engine(settings)
    _check_port_free(settings.host, settings.port)
    plural = "s" if workers > 1 else ""
    console.print(f"serving on http://{settings.host}:{settings.port} ({workers} worker{plural})",
                  highlight=False, soft_wrap=True)
    common = {"host": settings.host, "port": settings.port, "server_header": False,
              "log_level": "info"}
    if workers == 1:
        app = ready_to_serve(create_app(settings, engine, page_cache_seconds=page_cache))
        uvicorn.run(app, **common)  # type: ignore[arg-type]
        return
    engine.dispose()
    if state.config_file is not None:
        os.environ["PAPERFEED_CONFIG"] = str(state.config_file)
    os.environ[PAGE_CACHE_ENV] = str(page_cache)
    uvicorn.run("paperfeed.web.app:app_from_environment", factory=True, workers=workers,
                **common)  # type: ignore[arg-type]


@user_errors
def demo(
    port: int = typer.Option(8000, "--port", "-p", help="Port on 127.0.0.1."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the database and exit."),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite file for the demo (default: DATA_DIR/demo.db; replaced)."
    ),
) -> None:
    """Build a fresh demo database from the bundled sample papers and serve it on 127.0.0.1."""
    from paperfeed.config import DEMO_SECRET_KEY
    from paperfeed.demo.builder import DEMO_ADMIN, DEMO_ADMIN_PASSWORD, build_demo
    from paperfeed.search.indexing import index_missing
    from paperfeed.storage import migrate
    from paperfeed.storage.engine import make_engine

    base = get_settings()
    path = (db or base.data_dir / "demo.db").expanduser().resolve()
    if path.is_dir():
        fail(f"--db {path} is a directory; give a file name")
    if not no_serve:
        _check_port_free("127.0.0.1", port)
    started = time.perf_counter()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    secret = base.secret_key.get_secret_value() or DEMO_SECRET_KEY
    # Links in the demo's mail point at this server unless a public URL is configured.
    base_url = None if "base_url" in base.model_fields_set else f"http://127.0.0.1:{port}"
    settings = get_settings(database_url=url, demo=True, secret_key=secret, host="127.0.0.1",
                            port=port, base_url=base_url)
    from paperfeed.mail.mailer import demo_mailbox

    mailbox = demo_mailbox(settings)
    if mailbox is not None:  # a fresh demo starts with an empty mailbox
        import shutil

        shutil.rmtree(mailbox, ignore_errors=True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    report = build_demo(engine)
    console.print(f"demo database {path}: {report.papers} papers on {report.days} daily lists, "
                  f"{report.users} demo users, {report.votes} votes, {report.comments} comments",
                  highlight=False, soft_wrap=True)
    console.print(f"log in as {DEMO_ADMIN} / {DEMO_ADMIN_PASSWORD} (an admin: /admin) or "
                  "register an account of your own", highlight=False, soft_wrap=True)
    console.print("building the search index (the very first run also prepares the embedding "
                  "model, which takes about a minute)…", highlight=False, soft_wrap=True)
    indexed = index_missing(engine, settings)
    console.print(f"indexed {indexed} papers; ready in {time.perf_counter() - started:.1f} s",
                  highlight=False, soft_wrap=True)
    if no_serve:
        return

    import uvicorn

    from paperfeed.web.app import create_app, ready_to_serve

    console.print(f"serving the demo on http://127.0.0.1:{port}  (Ctrl+C to stop)",
                  highlight=False, soft_wrap=True)
    app = ready_to_serve(create_app(settings, engine, page_cache_seconds=1.0))
    uvicorn.run(app, host="127.0.0.1", port=port, server_header=False, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)
