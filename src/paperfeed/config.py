"""Typed settings, built by :func:`load_settings` (never at import time).

Sources, highest priority first: explicit overrides, ``PAPERFEED_*`` environment
variables, the TOML config file (``PAPERFEED_CONFIG`` or ``--config``), defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_dir
from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# Secrets that must never be used to serve a real site.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "paperfeed", "demo"}
)
DEMO_SECRET_KEY = "demo"


class ConfigError(Exception):
    """A configuration problem a user can fix; the message is one line."""


def default_data_dir() -> Path:
    return Path(user_data_dir("paperfeed", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'paperfeed.db'}"


class DailyRules(BaseSettings):
    """Operator rules that put newly announced papers on the day's list."""

    model_config = SettingsConfigDict(extra="forbid")

    categories: list[str] = Field(default_factory=list, description="arXiv categories or archives")
    keywords: list[str] = Field(default_factory=list, description="words matched in title/abstract")
    authors: list[str] = Field(default_factory=list, description="author names matched exactly")


class RateLimits(BaseSettings):
    """Requests allowed per account and per client address, as COUNT/PERIOD (``10/15m``;
    periods in s, m, h or d; ``0/1m`` turns one off). Over a limit the answer is 429."""

    model_config = SettingsConfigDict(extra="forbid")

    login: str = Field(default="10/15m", description="Log-in attempts per username")
    login_per_address: str = Field(default="50/15m", description="Log-in attempts per address")
    signup: str = Field(default="5/1h", description="Registrations per address")
    submit: str = Field(default="30/1h", description="Submissions per account")
    submit_per_address: str = Field(default="60/1h", description="Submissions per address")
    vote: str = Field(default="120/1m", description="Votes and unvotes per account")
    vote_per_address: str = Field(default="600/1m", description="Votes per address")
    comment: str = Field(default="10/5m", description="Comments and edits per account")
    comment_per_address: str = Field(default="60/5m", description="Comments per address")
    report: str = Field(default="20/1h", description="Reports per account")
    subscribe: str = Field(default="20/1h", description="Digest subscriptions per address")
    api: str = Field(default="600/1m", description="API and feed requests per API token")
    api_per_address: str = Field(
        default="300/1m", description="API and feed requests per address without a token"
    )

    @field_validator("*")
    @classmethod
    def _check_limit(cls, value: str) -> str:
        import re

        if value.strip() and not re.match(r"^\s*\d+\s*/\s*\d*\s*[smhd]\s*$", value):
            raise ValueError("a rate limit looks like 10/15m (count/period in s, m, h or d)")
        return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _check_time_of_day(value: str) -> str:
    import re

    match = re.match(r"^\s*(\d{1,2}):(\d{2})\s*$", value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("a time of day looks like 07:30 (24-hour clock)")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use a name like Europe/Berlin)") from None
    return value


def _check_weekday(value: str) -> str:
    day = value.strip().lower()
    if day not in WEEKDAYS:
        raise ValueError(f"{value!r} is not a day of the week, like monday")
    return day


TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Weekday = Annotated[str, AfterValidator(_check_weekday)]


class DigestSettings(BaseSettings):
    """Email digests: when they go out, what they hold, how sending copes with failures."""

    model_config = SettingsConfigDict(extra="forbid")

    send_at: TimeOfDay = Field(default="07:00", description="Time of day the worker sends digests")
    timezone: TimeZone = Field(default="UTC", description="Time zone of send_at and of the periods")
    weekly_on: Weekday = Field(default="monday", description="Day the weekly digest goes out")
    papers: int = Field(default=10, ge=1, le=100, description="Papers per digest by default")
    trending: int = Field(default=5, ge=0, le=50, description="Trending papers per digest")
    send_empty: bool = Field(default=False, description="Send a digest with no papers in it")
    confirm_hours: int = Field(default=72, ge=1, description="Hours a confirmation link lasts")
    max_hard_bounces: int = Field(
        default=3, ge=1, description="Permanent failures after which a subscription pauses"
    )
    retry_seconds: float = Field(
        default=60.0, gt=0, description="First wait after a temporary failure (doubles)"
    )
    max_attempts: int = Field(default=6, ge=1, description="Tries before a digest is failed")
    retry_window: float = Field(
        default=900.0, ge=0,
        description="Seconds `digest send` waits for retries before leaving them to a rerun",
    )


class WorkerSettings(BaseSettings):
    """`paperfeed worker`'s schedule (digests go out at [digest] send_at)."""

    model_config = SettingsConfigDict(extra="forbid")

    harvest_categories: list[str] = Field(
        default_factory=list, description="arXiv categories harvested from RSS every weekday"
    )
    harvest_at: TimeOfDay = Field(
        default="20:30", description="Time of day of the harvest (after arXiv announces)"
    )
    harvest_timezone: TimeZone = Field(
        default="America/New_York", description="Time zone of harvest_at (arXiv's own)"
    )
    harvest_days: list[Weekday] = Field(
        default_factory=lambda: ["sunday", "monday", "tuesday", "wednesday", "thursday"],
        description="Days arXiv announces new papers (in harvest_timezone)",
    )
    rss_url: str = Field(
        default="https://rss.arxiv.org/rss", description="arXiv's RSS service the worker reads"
    )
    poll_seconds: float = Field(default=30.0, gt=0, description="How often the worker wakes")


class Settings(BaseSettings):
    """Every setting paperfeed reads. Each field's description is its documentation."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERFEED_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB",
    )
    db_busy_timeout: float = Field(
        default=10.0, ge=0, le=600,
        description="Seconds a SQLite writer waits for another writer's lock before giving "
        "up (the web then answers 503 with Retry-After)",
    )
    pg_bin: str = Field(
        default="",
        description="Folder of pg_dump, pg_restore and psql for `db backup`/`db restore` on "
        "PostgreSQL; empty: the newest found on PATH or in /usr/lib/postgresql/*/bin",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""), description="Signs sessions and tokens; required by `serve`"
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the SQLite database, vector index and caches live",
    )
    site_name: str = Field(default="paperfeed", description="Shown in page titles and headers")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL, used in links in feeds and mail"
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` binds to")
    port: int = Field(default=8000, description="Port `serve` binds to")
    demo: bool = Field(default=False, description="Demo mode: a known secret key is allowed")
    page_size: int = Field(default=50, description="Papers per page on list pages")
    user_agent: str = Field(
        default="paperfeed/0.1 (self-hosted daily papers; +https://github.com/paperfeed)",
        description="User-Agent sent to arXiv and other sources",
    )
    request_interval: float = Field(
        default=3.0,
        description="Seconds between requests to a source (never below 3 for arXiv's hosts)",
    )
    connect_timeout: float = Field(
        default=10.0, ge=0.1, le=600, description="Seconds to connect to a source"
    )
    read_timeout: float = Field(
        default=10.0, ge=0.1, le=600,
        description="Seconds a source may stay silent in the middle of an answer",
    )
    request_deadline: float = Field(
        default=300.0, ge=1, le=86_400,
        description="Seconds one request to a source may take in all (a trickle is cut off)",
    )
    max_response_mb: float = Field(
        default=100.0, gt=0, le=10_000,
        description="Largest answer read from a source, in MB (reading stops beyond it)",
    )
    oai_url: str = Field(
        default="https://oaipmh.arxiv.org/oai",
        description="arXiv's OAI-PMH service that `harvest oai` reads",
    )
    embedding_model: str = Field(
        default="minilm-static",
        description="Semantic-search model: minilm-static (fast) or minilm (slower, better)",
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query",
        description="The arXiv API that the Submit form and `harvest arxiv-api` fetch from",
    )
    session_days: int = Field(default=30, ge=1, description="Days a log-in lasts")
    submissions_per_day: int = Field(
        default=10, ge=0, description="Papers one account may submit per day (0: no cap)"
    )
    comment_edit_minutes: int = Field(
        default=15, ge=0, description="Minutes during which authors may edit a comment"
    )
    comment_max_chars: int = Field(
        default=20_000, ge=100, description="Longest comment accepted, in characters"
    )
    rate_limits: RateLimits = Field(
        default_factory=RateLimits, description="Rate limits (config file section)"
    )
    rules: DailyRules = Field(
        default_factory=DailyRules, description="Rules for the daily list (config file section)"
    )
    smtp_url: str = Field(
        default="",
        description="Where mail goes: smtp://USER:PASS@HOST:587 (STARTTLS when offered; "
        "?starttls=require insists), smtps://USER:PASS@HOST:465, or maildir:///PATH; empty: "
        "no mail is sent (in demo mode it goes to the site's /mailbox page)",
    )
    mail_from: str = Field(
        default="paperfeed <paperfeed@localhost>", description="From address of every mail"
    )
    digest: DigestSettings = Field(
        default_factory=DigestSettings, description="Email digests (config file section)"
    )
    worker: WorkerSettings = Field(
        default_factory=WorkerSettings,
        description="`paperfeed worker`'s schedule (config file section)",
    )

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must start with sqlite:// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @model_validator(mode="after")
    def _default_database_in_data_dir(self) -> Settings:
        """Without an explicit database_url, the database is ``paperfeed.db`` in
        ``data_dir`` (wherever data_dir comes from), as the README documents."""
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.data_dir / 'paperfeed.db'}"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("smtp://", "smtps://", "maildir://")):
            raise ValueError("smtp_url must start with smtp://, smtps:// or maildir://")
        return value

    def source_urls(self) -> tuple[str, ...]:
        """The configured source addresses: only their hosts are ever fetched from."""
        return (self.arxiv_api_url, self.oai_url, self.worker.rss_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret_key_problem(self) -> str | None:
        """Why the secret key is unfit for serving, or None when it is fine."""
        key = self.secret_key.get_secret_value()
        if self.demo:
            return None
        if key.strip().lower() in KNOWN_DEFAULT_SECRETS:
            return "PAPERFEED_SECRET_KEY is not set or is a known default; set a long random value"
        if len(key) < 16:
            return "PAPERFEED_SECRET_KEY is too short; use at least 16 random characters"
        return None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a missing or unreadable file is a one-line ConfigError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    # Accept both a flat file and one with a [paperfeed] table.
    section = data.get("paperfeed", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [paperfeed] must be a table")
    return section


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings: overrides > environment > config file > defaults."""
    from pydantic import ValidationError

    path = config_file or os.environ.get("PAPERFEED_CONFIG")
    file_values: dict[str, Any] = read_config_file(Path(path)) if path else {}
    env_keys = {
        key.removeprefix("PAPERFEED_").split("__")[0].lower()
        for key in os.environ
        if key.startswith("PAPERFEED_")
    }
    init = {k: v for k, v in file_values.items() if k not in env_keys}
    init.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**init)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        source = f" (from {path})" if path else ""
        raise ConfigError(f"invalid setting {where}{source}: {first['msg']}") from None


def mask_url(url: str) -> str:
    """Hide the password in a database URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def effective_settings(settings: Settings) -> dict[str, Any]:
    """Settings as plain values with secrets masked, for `paperfeed config`."""
    out: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            out[name] = "********" if value.get_secret_value() else "(not set)"
        elif name in ("database_url", "smtp_url"):
            out[name] = mask_url(value)
        elif isinstance(value, BaseSettings):
            out[name] = value.model_dump()
        else:
            out[name] = str(value) if isinstance(value, Path) else value
    return out
