"""Reading and writing paper vectors in ``paper_embeddings`` (same SQL on both databases).

Vectors are stored as little-endian float32 bytes, L2-normalised, with a hash of the text
they were computed from, so that a paper whose title or abstract changed is embedded again
and one that was only touched (a vote) is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, bindparam, delete, select, text

from paperfeed.storage.dialect import upsert
from paperfeed.storage.models import HarvestState, PaperEmbedding, utcnow

STATE_SOURCE = "semantic-index"


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def pending_ids(conn: Connection, model: str) -> list[int]:
    """Papers with no vector for `model`, or modified since their vector was written."""
    rows = conn.execute(
        text(
            "SELECT p.id FROM papers p LEFT JOIN paper_embeddings e"
            " ON e.paper_id = p.id AND e.model = :model"
            " WHERE e.paper_id IS NULL OR p.modified_at > e.created_at ORDER BY p.id"
        ),
        {"model": model},
    )
    return [int(r[0]) for r in rows]


def paper_texts(conn: Connection, ids: list[int]) -> list[tuple[int, str, str]]:
    stmt = text("SELECT id, title, abstract FROM papers WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return [(int(r[0]), r[1] or "", r[2] or "") for r in conn.execute(stmt, {"ids": ids})]


def stored_hashes(conn: Connection, model: str, ids: list[int]) -> dict[int, str | None]:
    stmt = text(
        "SELECT paper_id, content_hash FROM paper_embeddings"
        " WHERE model = :model AND paper_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    return {int(r[0]): r[1] for r in conn.execute(stmt, {"model": model, "ids": ids})}


def write_vectors(
    conn: Connection,
    model: str,
    rows: list[tuple[int, str, npt.NDArray[np.float32]]],
    now: datetime,
) -> None:
    """Insert or replace (paper_id, hash, vector) rows for `model`."""
    if not rows:
        return
    stmt = upsert(
        conn, PaperEmbedding.__table__, ["paper_id", "model"],  # type: ignore[arg-type]
        ["vector", "content_hash", "created_at"],
    )
    conn.execute(
        stmt,
        [
            {
                "paper_id": pid, "model": model, "vector": to_bytes(vec),
                "content_hash": digest, "created_at": now,
            }
            for pid, digest, vec in rows
        ],
    )


def touch(conn: Connection, model: str, ids: list[int], now: datetime) -> None:
    """Mark vectors as current without recomputing them (their text did not change)."""
    if not ids:
        return
    stmt = text(
        "UPDATE paper_embeddings SET created_at = :now WHERE model = :model AND paper_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    conn.execute(stmt, {"now": now, "model": model, "ids": ids})


def delete_model(conn: Connection, model: str) -> None:
    conn.execute(delete(PaperEmbedding).where(PaperEmbedding.model == model))


def vector_ids(conn: Connection, model: str) -> npt.NDArray[np.int64]:
    rows = conn.execute(
        select(PaperEmbedding.paper_id).where(PaperEmbedding.model == model)
    ).scalars()
    return np.fromiter(rows, dtype=np.int64)


def ids_written_since(conn: Connection, model: str, since: datetime) -> npt.NDArray[np.int64]:
    rows = conn.execute(
        select(PaperEmbedding.paper_id).where(
            PaperEmbedding.model == model, PaperEmbedding.created_at >= since
        )
    ).scalars()
    return np.fromiter(rows, dtype=np.int64)


def iter_vectors(
    engine: Engine, model: str, ids: npt.NDArray[np.int64] | None, batch: int = 20_000
) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]:
    """(keys, vectors) batches: every vector of `model`, or only those of `ids`."""
    if ids is not None and len(ids) == 0:
        return
    wanted = None if ids is None else set(ids.tolist())
    # Few wanted: look them up; many: stream the table and filter.
    if wanted is not None and len(wanted) <= 50_000:
        id_list = sorted(wanted)
        stmt = text(
            "SELECT paper_id, vector FROM paper_embeddings WHERE model = :model"
            " AND paper_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        with engine.connect() as conn:
            for start in range(0, len(id_list), 1000):
                part = list(
                    conn.execute(stmt, {"model": model, "ids": id_list[start : start + 1000]})
                )
                if part:  # a chunk of papers none of which has a vector yet
                    yield _to_arrays(part)
        return
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(
            text("SELECT paper_id, vector FROM paper_embeddings WHERE model = :model"),
            {"model": model},
        )
        for chunk in result.partitions(batch):
            rows = [r for r in chunk if wanted is None or int(r[0]) in wanted]
            if rows:
                yield _to_arrays(rows)


def _to_arrays(rows: list[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    keys = np.array([int(r[0]) for r in rows], dtype=np.int64)
    vectors = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype="<f4")
    return keys, vectors.reshape(len(rows), -1).astype(np.float32)


@dataclass(frozen=True)
class IndexRecord:
    """What ``paperfeed index`` last built for a model, as recorded in the database.

    `backend` is "pgvector" (vectors and HNSW index in a table of this database) or "file"
    (a usearch file per machine); `generation` fingerprints the stored vectors the file
    was built from, so a web server whose file was built from other vectors rebuilds it.
    """

    model: str
    backend: str
    path: str
    dim: int
    generation: str = ""
    count: int = 0


def fingerprint(conn: Connection, model: str) -> tuple[str, int]:
    """(generation, count) of `model`'s stored vectors: changes whenever a vector is added,
    removed or rewritten (count, sum and max of the ids, latest write)."""
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(sum(paper_id), 0), coalesce(max(paper_id), 0),"
            " max(created_at) FROM paper_embeddings WHERE model = :model"
        ),
        {"model": model},
    ).one()
    count = int(row[0])
    latest = row[3].isoformat() if isinstance(row[3], datetime) else str(row[3] or "")
    return f"{count}:{int(row[1])}:{int(row[2])}:{latest}", count


def record_index(conn: Connection, record: IndexRecord) -> None:
    """Remember in the database what was built for this model (for every web server)."""
    stmt = upsert(
        conn, HarvestState.__table__, ["source", "key"], ["value", "updated_at"]  # type: ignore[arg-type]
    )
    value = json.dumps({k: v for k, v in record.__dict__.items() if k != "model"})
    conn.execute(
        stmt, {"source": STATE_SOURCE, "key": record.model, "value": value, "updated_at": utcnow()}
    )


def _parse(model: str, value: str) -> IndexRecord | None:
    try:
        data = json.loads(value)
        return IndexRecord(
            model=model, backend=str(data.get("backend", "file")), path=str(data["path"]),
            dim=int(data["dim"]), generation=str(data.get("generation", "")),
            count=int(data.get("count", 0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def recorded_index(conn: Connection, model: str) -> IndexRecord | None:
    """What was last built for `model` (one primary-key read), or None."""
    value = conn.execute(
        select(HarvestState.value).where(
            HarvestState.source == STATE_SOURCE, HarvestState.key == model
        )
    ).scalar()
    return None if value is None else _parse(model, value)


def recorded_indexes(conn: Connection) -> list[IndexRecord]:
    """Every model's record, most recently built first."""
    rows = conn.execute(
        select(HarvestState.key, HarvestState.value)
        .where(HarvestState.source == STATE_SOURCE)
        .order_by(HarvestState.updated_at.desc())
    )
    out = [_parse(model, value) for model, value in rows]
    return [r for r in out if r is not None]
