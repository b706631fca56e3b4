"""Settings: environment, config file, masking, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.config import ConfigError, load_settings

runner = CliRunner()


def test_defaults_to_sqlite_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PAPERFEED_DATA_DIR is tmp_path / "data" (tests/conftest.py).
    settings = load_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'paperfeed.db'}"
    assert settings.is_sqlite
    # The data directory from a config file moves the default database with it ...
    monkeypatch.delenv("PAPERFEED_DATA_DIR")
    cfg = tmp_path / "paperfeed.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "elsewhere"}"\n')
    assert load_settings(cfg).database_url == f"sqlite:///{tmp_path / 'elsewhere' / 'paperfeed.db'}"
    # ... and an explicit database URL is kept as given.
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert load_settings(cfg).database_url == f"sqlite:///{tmp_path / 'other.db'}"


def test_environment_overrides_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "paperfeed.toml"
    cfg.write_text('site_name = "From file"\nport = 9001\n[rules]\ncategories = ["cs.LG"]\n')
    monkeypatch.setenv("PAPERFEED_PORT", "9002")
    settings = load_settings(cfg)
    assert settings.site_name == "From file"
    assert settings.port == 9002
    assert settings.rules.categories == ["cs.LG"]


def test_plain_postgresql_url_selects_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", "postgresql://u:p@db/papers")
    assert load_settings().database_url == "postgresql+psycopg://u:p@db/papers"


def test_missing_and_invalid_config_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("port = [")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load_settings(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('port = "eighty"')
    with pytest.raises(ConfigError, match="invalid setting port"):
        load_settings(wrong)


def test_secret_key_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().secret_key_problem() is not None
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "changeme")
    assert "known default" in (load_settings().secret_key_problem() or "")
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "x" * 40)
    assert load_settings().secret_key_problem() is None
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "demo")
    assert load_settings(demo=True).secret_key_problem() is None


def test_config_command_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "super-secret-value-123456")
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", "postgresql+psycopg://bob:hunter2@db:5432/pf")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 0
    assert "super-secret-value" not in result.output
    assert "hunter2" not in result.output
    assert "bob:***@db:5432/pf" in result.output


def test_missing_config_file_on_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "missing.toml"), "config"])
    assert result.exit_code == 1
    assert "config file not found" in result.output
    assert "Traceback" not in result.output
