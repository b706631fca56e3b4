"""Paper vectors and their HNSW index inside PostgreSQL, when the server has pgvector.

``paper_embeddings`` stays the source of truth on every engine (the float32 bytes and the
hash of the text each vector came from). On a PostgreSQL server with the ``vector``
extension, ``paperfeed index`` also keeps one table per model, ``paper_vectors_<model>``
(``paper_id``, ``content_hash``, ``embedding vector(dim)``), in step with it, with an HNSW
index (cosine distance) over the embeddings. Every web server then queries the database
(``ORDER BY embedding <=> :q LIMIT k``) and needs no file of its own. Rows of deleted
papers go with them (foreign key, ``ON DELETE CASCADE``).

The table is created by ``paperfeed index`` rather than by a migration: it needs the
extension, which not every server has, and its column's dimension depends on the model.

HNSW parameters, measured (``benchmarks/bench_semantic.py --pg``, 100,000 generated papers,
static model, pgvector 0.6.2 on a shared 2-core machine): m 16 with ef_construction 128
gives recall@10 0.89 against exact search at ef_search 200 (ef_construction 64: 0.77; the
index file: 0.70), with no measurable difference in build time; ef_search 400 adds little
recall (0.91) for a third more time per query.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, bindparam
from sqlalchemy import text as sql_text
from sqlalchemy.exc import DBAPIError

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
# Candidates examined per query (pgvector returns at most this many rows per scan).
EF_SEARCH = 200
MAX_EF_SEARCH = 1000
# Memory for building the HNSW graph (it is built much faster when the graph fits).
BUILD_MEMORY = "2GB"
COPY_BATCH = 20_000


def table_name(model: str) -> str:
    """The table holding `model`'s vectors: readable, unique, within PostgreSQL's 63 bytes."""
    slug = re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")[:32]
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]
    return f"paper_vectors_{slug}_{digest}"


def _index_name(table: str) -> str:
    return f"{table}_hnsw"


def available(engine: Engine) -> bool:
    """True when this database can hold vectors: PostgreSQL with the ``vector`` extension
    installed, or installable now (``CREATE EXTENSION IF NOT EXISTS vector`` succeeds)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        if conn.execute(sql_text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first():
            return True
        offered = conn.execute(
            sql_text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).first()
    if not offered:
        return False
    try:
        with engine.begin() as conn:
            conn.execute(sql_text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError:  # not allowed to (no superuser, extension not trusted)
        return False
    return True


def ensure_table(conn: Connection, table: str, dim: int) -> None:
    conn.execute(sql_text(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " paper_id BIGINT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,"
        " content_hash VARCHAR(32),"
        f" embedding vector({int(dim)}) NOT NULL)"
    ))


def drop_table(engine: Engine, model: str) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.execute(sql_text(f"DROP TABLE IF EXISTS {table_name(model)}"))


def _copy_rows(rows: list[tuple[int, str | None, bytes]]) -> bytes:
    """PostgreSQL's binary COPY stream of (bigint, varchar, vector) rows; vectors arrive as
    little-endian float32 bytes (paper_embeddings) and leave as pgvector's binary form."""
    out = [b"PGCOPY\n\xff\r\n\x00", struct.pack("!ii", 0, 0)]
    for pid, digest, blob in rows:
        vec = np.frombuffer(blob, dtype="<f4").astype(">f4").tobytes()
        dim = len(vec) // 4
        out.append(struct.pack("!hiq", 3, 8, pid))
        if digest is None:
            out.append(struct.pack("!i", -1))
        else:
            raw = digest.encode("utf-8")
            out.append(struct.pack("!i", len(raw)) + raw)
        out.append(struct.pack("!ihh", 4 + len(vec), dim, 0) + vec)
    out.append(struct.pack("!h", -1))
    return b"".join(out)


def _stale_ids(conn: Connection, model: str, table: str) -> list[int]:
    rows = conn.execute(
        sql_text(
            f"SELECT e.paper_id FROM paper_embeddings e LEFT JOIN {table} v"
            " ON v.paper_id = e.paper_id WHERE e.model = :model"
            " AND (v.paper_id IS NULL OR v.content_hash IS DISTINCT FROM e.content_hash)"
            " ORDER BY e.paper_id"
        ),
        {"model": model},
    )
    return [int(r[0]) for r in rows]


def _stored_rows(
    conn: Connection, model: str, ids: list[int]
) -> Iterator[list[tuple[int, str | None, bytes]]]:
    stmt = sql_text(
        "SELECT paper_id, content_hash, vector FROM paper_embeddings"
        " WHERE model = :model AND paper_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(ids), COPY_BATCH):
        part = ids[start : start + COPY_BATCH]
        yield [(int(r[0]), r[1], bytes(r[2])) for r in conn.execute(
            stmt, {"model": model, "ids": part})]


def sync(engine: Engine, model: str, dim: int) -> int:
    """Bring `model`'s vector table in step with paper_embeddings (new and re-embedded
    vectors copied, vectors no longer stored removed), build its HNSW index when missing;
    returns the vectors the table holds."""
    table = table_name(model)
    with engine.begin() as conn:
        ensure_table(conn, table, dim)
        conn.execute(
            sql_text(
                f"DELETE FROM {table} v WHERE NOT EXISTS (SELECT 1 FROM paper_embeddings e"
                " WHERE e.model = :model AND e.paper_id = v.paper_id)"
            ),
            {"model": model},
        )
    with engine.connect() as conn:
        stale = _stale_ids(conn, model, table)
    for start in range(0, len(stale), COPY_BATCH):
        with engine.connect() as reader:
            batches = list(_stored_rows(reader, model, stale[start : start + COPY_BATCH]))
        with engine.begin() as conn:
            _merge(conn, table, dim, [row for batch in batches for row in batch])
    with engine.begin() as conn:
        has_index = conn.execute(
            sql_text("SELECT 1 FROM pg_indexes WHERE indexname = :name"),
            {"name": _index_name(table)},
        ).first()
        if not has_index:
            conn.execute(sql_text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
            conn.execute(sql_text(
                f"CREATE INDEX IF NOT EXISTS {_index_name(table)} ON {table}"
                f" USING hnsw (embedding vector_cosine_ops)"
                f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
            ))
        return int(conn.execute(sql_text(f"SELECT count(*) FROM {table}")).scalar_one())


def _merge(
    conn: Connection, table: str, dim: int, rows: list[tuple[int, str | None, bytes]]
) -> None:
    """Insert or replace `rows` through a binary COPY into a temporary staging table."""
    if not rows:
        return
    conn.execute(sql_text(
        f"CREATE TEMP TABLE IF NOT EXISTS vector_stage (paper_id BIGINT,"
        f" content_hash VARCHAR(32), embedding vector({int(dim)})) ON COMMIT DROP"
    ))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        "COPY vector_stage (paper_id, content_hash, embedding) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(_copy_rows(rows))
    conn.execute(sql_text(
        f"INSERT INTO {table} (paper_id, content_hash, embedding)"
        " SELECT s.paper_id, s.content_hash, s.embedding FROM vector_stage s"
        " JOIN papers p ON p.id = s.paper_id"
        " ON CONFLICT (paper_id) DO UPDATE"
        " SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding"
    ))


def _literal(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32)) + "]"


def _ef(k: int) -> int:
    return max(EF_SEARCH, min(int(k), MAX_EF_SEARCH))


def search(conn: Connection, model: str, vector: npt.NDArray[np.float32], k: int
           ) -> list[tuple[int, float]]:
    """(paper id, cosine score) of the `k` stored vectors nearest to `vector`, best first.
    Runs in its own transaction (``SET LOCAL hnsw.ef_search``)."""
    if k <= 0:
        return []
    table = table_name(model)
    with conn.begin():
        conn.execute(sql_text(f"SET LOCAL hnsw.ef_search = {_ef(k)}"))
        rows = conn.execute(
            sql_text(
                f"SELECT paper_id, 1 - (embedding <=> CAST(:q AS vector)) FROM {table}"
                " ORDER BY embedding <=> CAST(:q AS vector) LIMIT :k"
            ),
            {"q": _literal(vector), "k": int(k)},
        )
        return [(int(r[0]), float(r[1])) for r in rows]


def neighbours(conn: Connection, model: str, paper_id: int, k: int) -> list[tuple[int, float]]:
    """(paper id, cosine score) of the `k` papers nearest to `paper_id`, itself excluded;
    [] when the paper has no vector. Uses the caller's transaction."""
    if k <= 0:
        return []
    table = table_name(model)
    conn.execute(sql_text(f"SET LOCAL hnsw.ef_search = {_ef(k + 1)}"))
    rows = conn.execute(
        sql_text(
            f"WITH q AS (SELECT embedding FROM {table} WHERE paper_id = :pid)"
            f" SELECT v.paper_id, 1 - (v.embedding <=> (SELECT embedding FROM q)) FROM {table} v"
            " WHERE EXISTS (SELECT 1 FROM q)"
            " ORDER BY v.embedding <=> (SELECT embedding FROM q) LIMIT :k"
        ),
        {"pid": int(paper_id), "k": int(k) + 1},
    )
    return [(int(r[0]), float(r[1])) for r in rows if int(r[0]) != paper_id][:k]
