"""`paperfeed digest …` on SQLite and PostgreSQL, sending to a real SMTP server on
loopback: subscribe, preview, send (and --dry-run), unsubscribe, list."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paperfeed.cli import app
from tests.digest.conftest import Env
from tests.digest.helpers import digests_to, subscription

runner = CliRunner()


@pytest.fixture
def cli_env(env: Env, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL",
                       env.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("PAPERFEED_SMTP_URL", env.smtp.url)
    monkeypatch.setenv("PAPERFEED_BASE_URL", "https://papers.example.org")
    monkeypatch.setenv("PAPERFEED_SITE_NAME", "Paper Club")
    monkeypatch.setenv("PAPERFEED_MAIL_FROM", "Paper Club <digest@papers.example.org>")
    return env


def invoke(*args: str) -> Result:
    return runner.invoke(app, ["digest", *args])


def test_operators_import_confirmed_subscribers(cli_env: Env) -> None:
    result = invoke("subscribe", "Ada@Example.org", "--confirmed", "--period", "daily",
                    "--category", "cs.LG", "--keyword", "graph neural", "--keyword", "spectral")
    assert result.exit_code == 0, result.output
    assert "subscribed" in result.output
    row = subscription(cli_env, "ada@example.org")
    assert (row.status, row.categories, row.keywords) == (
        "active", ["cs.LG"], ["graph neural", "spectral"])
    assert cli_env.smtp.messages == []  # confirmed: no confirmation mail


def test_without_confirmed_the_confirmation_mail_goes_out(cli_env: Env) -> None:
    result = invoke("subscribe", "bob@example.org", "--category", "cs.LG")
    assert result.exit_code == 0, result.output
    assert "confirmation" in result.output
    assert subscription(cli_env, "bob@example.org").status == "pending"
    [mail] = cli_env.smtp.messages
    assert mail["To"] == "bob@example.org" and "Confirm" in mail["Subject"]


def test_bad_input_is_one_line_and_exit_code_2(cli_env: Env) -> None:
    for args in (["not-an-email"], ["ada@example.org", "--category", "nonsense category"],
                 ["ada@example.org", "--period", "hourly"]):
        result = invoke("subscribe", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert cli_env.smtp.messages == []


def test_preview_send_and_dry_run(cli_env: Env, tmp_path: Path) -> None:
    invoke("subscribe", "ada@example.org", "--confirmed", "--category", "quant-ph")
    html = tmp_path / "digest.html"
    shown = invoke("preview", "ada@example.org", "--date", "2026-11-30", "--html", str(html))
    assert shown.exit_code == 0, shown.output
    assert "Subject: Paper Club: 3 papers for Monday, 30 November 2026" in shown.output
    assert "Quantum error correction with cat qubits" in shown.output
    assert "<html" in html.read_text()
    dry = invoke("send", "--period", "daily", "--date", "2026-11-30", "--dry-run")
    assert dry.exit_code == 0 and "1 would be sent" in dry.output
    assert digests_to(cli_env, "ada@example.org") == []
    sent = invoke("send", "--period", "daily", "--date", "2026-11-30")
    assert sent.exit_code == 0, sent.output
    assert "1 sent, 0 skipped empty, 0 retried, 0 failed, 0 unknown" in sent.output
    again = invoke("send", "--period", "daily", "--date", "2026-11-30")
    assert "0 sent" in again.output
    assert len(digests_to(cli_env, "ada@example.org")) == 1


def test_preview_to_an_unwritable_file_is_one_line_and_prints_no_digest(
    cli_env: Env, tmp_path: Path
) -> None:
    invoke("subscribe", "ada@example.org", "--confirmed", "--category", "quant-ph")
    target = tmp_path / "no-such-directory" / "digest.html"
    shown = invoke("preview", "ada@example.org", "--date", "2026-11-30", "--html", str(target))
    assert shown.exit_code != 0
    assert "cannot write" in shown.output and "Traceback" not in shown.output
    assert "Subject:" not in shown.output and "Quantum error correction" not in shown.output
    assert not target.exists()


def test_a_failed_send_exits_3_and_says_why(cli_env: Env) -> None:
    invoke("subscribe", "gone@example.org", "--confirmed", "--category", "cs.LG")
    cli_env.smtp.script(["550"])
    result = invoke("send", "--period", "daily", "--date", "2026-11-30")
    assert result.exit_code == 3, result.output
    assert "1 failed" in result.output


def test_list_with_an_unknown_status_is_a_usage_error(cli_env: Env) -> None:
    result = invoke("list", "--status", "actve")
    assert result.exit_code == 2
    assert "unknown status 'actve'" in result.output and "Traceback" not in result.output


def test_unsubscribe_and_list(cli_env: Env) -> None:
    invoke("subscribe", "ada@example.org", "--confirmed")
    listed = invoke("list")
    assert "ada@example.org" in listed.output and "active" in listed.output
    left = invoke("unsubscribe", "ada@example.org")
    assert left.exit_code == 0
    assert subscription(cli_env, "ada@example.org").status == "unsubscribed"
    assert invoke("unsubscribe", "nobody@example.org").exit_code == 1


def test_config_shows_the_workers_schedule(cli_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_WORKER__HARVEST_CATEGORIES", '["cs.LG", "stat.ML"]')
    monkeypatch.setenv("PAPERFEED_DIGEST__SEND_AT", "06:45")
    monkeypatch.setenv("PAPERFEED_DIGEST__TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("PAPERFEED_SMTP_URL", "smtp://mailer:s3cret-pw@mail.example.org:587")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "digest-daily: every day at 06:45 Europe/Berlin" in text
    assert "harvest: " in text and "at 20:30 America/New_York" in text
    assert "cs.LG, stat.ML" in text
    assert "mail.example.org" in text and "s3cret-pw" not in text  # the password masked


def test_send_without_a_mail_server_is_a_one_line_error(cli_env: Env,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    invoke("subscribe", "ada@example.org", "--confirmed", "--category", "cs.LG")
    monkeypatch.setenv("PAPERFEED_SMTP_URL", "")
    result = invoke("send", "--period", "daily", "--date", "2026-11-30")
    assert result.exit_code == 1
    assert "no mail server is configured" in result.output
    assert invoke("send", "--period", "daily", "--date", "2026-11-30", "--dry-run").exit_code == 0
    # A wrong argument is named as such even before the mail server is looked for.
    wrong = invoke("send", "--period", "hourly")
    assert wrong.exit_code == 2 and "unknown period 'hourly'" in wrong.output


def test_a_refused_login_exits_3_and_leaves_the_digests_queued(
    cli_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.mail.smtpd import SmtpServer

    invoke("subscribe", "ada@example.org", "--confirmed", "--category", "cs.LG")
    with SmtpServer(credentials=("digest", "right")) as server:
        monkeypatch.setenv("PAPERFEED_SMTP_URL",
                           server.url.replace("smtp://", "smtp://digest:wrong@"))
        result = invoke("send", "--date", "2026-11-30", "--quiet")
        assert server.messages == []
    assert result.exit_code == 3, result.output
    assert "1 waiting to be retried" in result.output and "535" in result.output
    assert "weekly" not in result.output  # the run stopped at the first refusal
    monkeypatch.setenv("PAPERFEED_SMTP_URL", cli_env.smtp.url)  # the login fixed
    sent = invoke("send", "--period", "daily", "--date", "2026-11-30", "--quiet")
    assert sent.exit_code == 0 and "1 sent" in sent.output
    assert len(digests_to(cli_env, "ada@example.org")) == 1
