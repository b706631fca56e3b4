"""`paperfeed serve` and `paperfeed demo`: refusals are one line, and both really serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

runner = CliRunner()
GOOD_SECRET = "a-long-random-secret-for-tests-0123456789"


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def migrated_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", url)
    return url


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "PAPERFEED_SECRET_KEY is not set or is a known default"),
        ("changeme", "PAPERFEED_SECRET_KEY is not set or is a known default"),
        ("short-key", "PAPERFEED_SECRET_KEY is too short"),
    ],
)
def test_serve_refuses_a_missing_or_default_secret(
    migrated_sqlite: str, monkeypatch: pytest.MonkeyPatch, secret: str | None, says: str
) -> None:
    if secret is not None:
        monkeypatch.setenv("PAPERFEED_SECRET_KEY", secret)
    result = runner.invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert says in one_line(result.output)


def test_serve_refuses_an_out_of_date_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "run `paperfeed db upgrade` first" in one_line(result.output)


def test_serve_names_an_unreachable_database_with_the_password_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", "postgresql+psycopg://u:topsecret@127.0.0.1:1/x")
    for command in (["serve", "--port", str(free_port())], ["stats"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        line = one_line(result.output)
        assert "cannot connect to database postgresql+psycopg://u:***@127.0.0.1:1/x" in line
        assert "topsecret" not in result.output


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "paperfeed.toml"
    result = runner.invoke(app, ["--config", str(missing), "serve"])
    assert result.exit_code == 1
    assert f"config file not found: {missing}" in one_line(result.output)


def test_serve_says_when_the_port_is_taken(
    migrated_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", GOOD_SECRET)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in one_line(result.output)


def test_demo_builds_a_fresh_database_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "demo.db"
    for _ in range(2):  # the second run replaces the first: same counts, no duplicates
        result = runner.invoke(app, ["demo", "--no-serve", "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert "265 papers on 5 daily lists" in result.output
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{db}")
    counts = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert counts["papers"] == 265
    assert counts["daily_entries"] == 265
    assert counts["users"] == 41  # 40 demo users and the admin
    assert counts["votes"] > 265 and counts["comments"] > 0


def test_demo_default_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "demo.db").exists()  # PAPERFEED_DATA_DIR from conftest


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> httpx.Response:
    """The first answer from ``url``; ``timeout`` is a hang guard, not a speed test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"server exited with {proc.returncode}: {out}")
        try:
            return httpx.get(url, timeout=60.0)  # a refused connection still fails at once
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {timeout} s")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _paperfeed(*args: str) -> list[str]:
    return [sys.executable, "-m", "paperfeed", *args]


def test_demo_serves_the_daily_page(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    # A first run may distil the embedding model into the machine-wide cache (once).
    warm = runner.invoke(app, ["demo", "--no-serve", "--db", str(tmp_path / "warm.db")])
    assert warm.exit_code == 0, warm.output
    port = free_port()
    # How fast it starts: `python -m benchmarks demo_start`.
    proc = subprocess.Popen(
        _paperfeed("demo", "--port", str(port), "--db", str(tmp_path / "demo.db")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ),
    )
    started.append(proc)
    response = _wait_for(f"http://127.0.0.1:{port}/", proc)
    assert response.status_code == 200
    doc = lxml_html.document_fromstring(response.text)
    assert "Demo data" in doc.xpath("//div[@class='demo-banner']")[0].text_content()
    assert len(doc.xpath("//article[@class='card']")) >= 40


def test_serve_serves_the_configured_database(
    migrated_sqlite: str, started: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    env = dict(os.environ, PAPERFEED_SECRET_KEY=GOOD_SECRET)
    proc = subprocess.Popen(
        _paperfeed("serve", "--host", "127.0.0.1", "--port", str(port)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    started.append(proc)
    response = _wait_for(f"http://127.0.0.1:{port}/", proc)
    assert response.status_code == 200
    assert "No papers yet" in response.text  # the empty, migrated database
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers
