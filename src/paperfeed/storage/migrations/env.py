"""Alembic environment: paperfeed passes the connection in through config.attributes."""

from __future__ import annotations

from alembic import context

from paperfeed.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from paperfeed.storage.engine import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run(conn)
            if conn.in_transaction():
                conn.commit()
        return
    _run(connection)


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Keep autogenerate away from the keyword index (migration 0002), which has no model."""
    if type_ == "table" and name and name.startswith("papers_fts"):
        return False
    keyword_index = ("search_vector", "ix_papers_search_vector")
    return not (type_ in ("column", "index") and name in keyword_index)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # One transaction per revision, stamp included (see storage/migrate.py).
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
