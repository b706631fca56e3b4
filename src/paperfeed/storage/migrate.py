"""Schema migrations through Alembic, driven from code (no alembic.ini needed).

Each revision runs in its own transaction on both databases, its version stamp
included: PostgreSQL's DDL is transactional, and on SQLite the engine turns pysqlite's
own transaction handling off and emits ``BEGIN IMMEDIATE`` itself, so nothing commits
before a DDL statement. A process killed in the middle of ``upgrade`` (``kill -9``, a
power cut) leaves the schema at the last completed revision, and a rerun goes on from
there.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from paperfeed.storage.engine import write_connection

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def known_revisions() -> list[str]:
    """Every revision this code has, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate up to `revision`, one transaction per revision (see the module doc)."""
    cfg = alembic_config(engine)
    with write_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to `revision`, one transaction per revision."""
    cfg = alembic_config(engine)
    with write_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()


class SchemaOutOfDate(Exception):
    pass


def require_up_to_date(engine: Engine) -> None:
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        state = "empty" if current is None else f"at {current}, code expects {head}"
        raise SchemaOutOfDate(
            f"database schema is {state}; run `paperfeed db upgrade` first"
        )
