"""Import local files: open (``-`` = stdin, gzip by its magic bytes), detect the format,
stream records into the upsert, write rejected raw records aside.

The snapshot is read line by line (never whole in memory); the XML and JSON formats
(one API response a file) are parsed per file by their source module.
"""

from __future__ import annotations

import gzip
import io
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from multiprocessing.connection import Connection
from typing import IO, Any, BinaryIO

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from paperfeed.ingest.report import IngestReport
from paperfeed.ingest.upsert import PreparedPaper, upsert_records
from paperfeed.records import PaperRecord, RejectedRecord
from paperfeed.sources.detect import detect_format
from paperfeed.sources.errors import SourceError
from paperfeed.sources.parsers import FORMATS, parser_for
from paperfeed.sources.snapshot import MAX_LINE_BYTES, iter_snapshot
from paperfeed.storage.dialect import writes_search_vector

HEAD_BYTES = 4096
_GZIP_MAGIC = b"\x1f\x8b"


class InputError(Exception):
    """A file that cannot be imported; the message is one line naming the file."""

    def __init__(self, message: str, *, unknown_format: bool = False) -> None:
        super().__init__(message)
        self.unknown_format = unknown_format


class StoreError(Exception):
    """The database failed while an import was writing (connection lost, disk full, …):
    the batch in progress was rolled back, the committed ones stay. One line."""


def store_error(name: str, exc: DBAPIError, stored: int) -> StoreError:
    """The one-line error for a database failure during the import of ``name``."""
    lines = str(exc.orig or exc).strip().splitlines()
    reason = lines[0].strip() if lines else type(exc.orig or exc).__name__
    return StoreError(
        f"{name}: the database failed during the import ({reason}); the batch in progress "
        f"was rolled back and {stored:,} papers stored before it were kept; "
        "run the same import again to finish"
    )


class _Prefixed(io.RawIOBase):
    """Bytes already read (the head) followed by the rest of a stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head.nbytes:
            n = min(len(buffer), self._head.nbytes)
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class InputFile:
    """One opened input: the decompressed stream and where the bytes come from."""

    name: str
    format: str
    stream: BinaryIO
    raw: IO[bytes]
    size: int | None  # on-disk size (compressed when gzip); None for stdin

    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self.stream.close()
        if self.raw is not sys.stdin.buffer:
            self.raw.close()


def _read_up_to(stream: IO[bytes], n: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def open_input(name: str, fmt: str = "auto") -> InputFile:
    """Open ``name`` (``-`` for stdin), decompress gzip, and settle the format.

    Raises InputError (``unknown_format`` set when the content is not a known format).
    """
    display = "<stdin>" if name == "-" else name
    raw: IO[bytes]
    size: int | None = None
    try:
        if name == "-":
            raw = sys.stdin.buffer
        else:
            raw = open(name, "rb")  # noqa: SIM115 - closed by InputFile.close
            size = os.fstat(raw.fileno()).st_size
    except FileNotFoundError:
        raise InputError(f"{display}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{display}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{display}: cannot read ({exc.strerror})") from None
    try:
        magic = raw.read(2)
        body: IO[bytes] = io.BufferedReader(_Prefixed(magic, raw), 1 << 16)
        if magic == _GZIP_MAGIC:
            body = gzip.GzipFile(fileobj=body, mode="rb")  # type: ignore[assignment]
        head = _read_up_to(body, HEAD_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raw.close()
        raise InputError(f"{display}: cannot read ({exc})") from None
    if fmt == "auto":
        detected = detect_format(head)
        if detected is None:
            if raw is not sys.stdin.buffer:
                raw.close()
            what = "empty" if not head.strip() else "expected " + ", ".join(FORMATS)
            raise InputError(f"{display}: not a known format ({what})", unknown_format=True)
        fmt = detected
    stream = io.BufferedReader(_Prefixed(head, body), 1 << 20)
    return InputFile(display, fmt, stream, raw, size)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of a stream; an overlong line comes back cut to MAX_LINE_BYTES + 1 bytes
    (so the parser rejects it) and the rest of it is skipped, keeping memory bounded."""
    readline = stream.readline
    limit = MAX_LINE_BYTES + 1
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith(b"\n"):
            while True:
                chunk = readline(1 << 20)
                if not chunk or chunk.endswith(b"\n"):
                    break
        yield line


PARSE_CHUNK = 1000


def _pack(item: PaperRecord | RejectedRecord, vectors: bool = False) -> list[Any]:
    """A parsed line as a JSON-able list, ready for the writer: a paper as its encoded
    INSERT values (:class:`PreparedPaper`, with its search vector when ``vectors``), a
    rejected line with its raw bytes as latin-1 text (they may not be UTF-8). orjson
    crosses the pipe several times faster than pickle."""
    if isinstance(item, RejectedRecord):
        raw = item.raw.encode("utf-8", "surrogateescape").decode("latin-1")
        return [0, item.location, item.reason, raw]
    p = PreparedPaper.from_record(item, vector=vectors)
    return [1, p.id, p.row, p.versions, p.location, p.vector]


def _unpack(values: list[Any]) -> PreparedPaper | RejectedRecord:
    if values[0] == 0:
        raw = values[3].encode("latin-1").decode("utf-8", "surrogateescape")
        return RejectedRecord(values[1], values[2], raw)
    return PreparedPaper(values[1], tuple(values[2]), values[3], values[4], values[5])


def _parse_snapshot_worker(
    inp: InputFile, out: Connection, parents_end: Connection, vectors: bool = False
) -> None:
    """In a forked child: parse the snapshot and send chunks of items down the pipe.

    The child closes its copy of the parent's end, so that if the importer dies (even by
    ``kill -9``) the next send fails and the child exits, releasing everything it
    inherited (among them the database connection's socket).
    """
    parents_end.close()
    chunk: list[list[Any]] = []
    try:
        for item in iter_snapshot(_lines(inp.stream), inp.name):
            chunk.append(_pack(item, vectors))
            if len(chunk) >= PARSE_CHUNK:
                out.send_bytes(orjson.dumps(chunk))
                chunk = []
        out.send_bytes(orjson.dumps(chunk))
        out.send_bytes(b"")
    except (BrokenPipeError, EOFError, KeyboardInterrupt, OSError):
        pass  # the importer stopped


def _iter_snapshot_parallel(
    inp: InputFile, vectors: bool = False
) -> Iterator[PreparedPaper | RejectedRecord]:
    """The snapshot parsed in a second process while this one writes to the database
    (``vectors``: the child computes the PostgreSQL search vectors too).

    The child is forked with the open input (the file offset is shared, so progress
    still reads from here). A thread here drains the pipe into a queue of a few chunks,
    so the child keeps parsing while this process waits on the database (without it the
    child blocks on the full pipe for as long as a batch takes to write); the queue's
    size bounds memory.
    """
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_parse_snapshot_worker, args=(inp, send, receive, vectors), daemon=True
    )
    proc.start()
    send.close()
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(receive, chunks, stop), daemon=True)
    reader.start()
    try:
        while True:
            data = chunks.get()
            if data is None:
                raise InputError(f"{inp.name}: the parser process stopped unexpectedly")
            if not data:
                return
            for packed in orjson.loads(data):
                yield _unpack(packed)
    finally:
        stop.set()
        if proc.is_alive():
            proc.terminate()
        proc.join()
        reader.join()
        receive.close()


QUEUED_CHUNKS = 4


def _drain(receive: Connection, chunks: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """The reader thread: chunks from the pipe into the queue until the end (``b""``),
    the child's exit (None), or ``stop``."""
    while not stop.is_set():
        try:
            data: bytes | None = receive.recv_bytes()
        except (EOFError, OSError):
            data = None
        while not stop.is_set():
            try:
                chunks.put(data, timeout=0.1)
                break
            except queue.Full:
                continue
        if not data:
            return


def iter_file(
    inp: InputFile, *, parallel: bool = False, vectors: bool = False
) -> Iterator[PaperRecord | PreparedPaper | RejectedRecord]:
    """Records and rejections of one input. Raises InputError for an error feed.

    ``parallel``: parse a snapshot in a second process (when there is a second CPU),
    which also computes the search vectors when ``vectors`` (for PostgreSQL).
    """
    if inp.format == "snapshot":
        # (multiprocessing closes stdin in the child, so stdin is parsed here.)
        if parallel and (os.cpu_count() or 1) > 1 and inp.raw is not sys.stdin.buffer:
            yield from _iter_snapshot_parallel(inp, vectors)
        else:
            yield from iter_snapshot(_lines(inp.stream), inp.name)
        return
    parse = parser_for(inp.format)
    if parse is None:
        raise InputError(f"{inp.name}: unknown format {inp.format!r}")
    data = inp.stream.read()
    try:
        parsed = parse(data, inp.name)
    except SourceError as exc:
        message = str(exc)  # parsers name the source in some messages, not in others
        if not message.startswith(f"{inp.name}: "):
            message = f"{inp.name}: {message}"
        raise InputError(message) from None
    yield from chain(parsed.rejected, parsed.records)


def write_reject(out: IO[bytes], rejected: RejectedRecord) -> None:
    out.write(rejected.raw.encode("utf-8", "surrogateescape") + b"\n")


def import_file(
    engine: Engine,
    inp: InputFile,
    *,
    batch_size: int = 2000,
    on_reject: Callable[[RejectedRecord], None] | None = None,
    on_batch: Callable[[IngestReport], None] | None = None,
    parallel: bool = True,
) -> IngestReport:
    """Import one opened input; rejected records go to ``on_reject`` and are counted.
    Raises :class:`StoreError` when the database fails."""
    rejected = 0
    stored = 0

    def batch_done(report: IngestReport) -> None:
        nonlocal stored
        stored = report.added + report.updated + report.unchanged
        if on_batch is not None:
            on_batch(report)

    try:
        vectors = writes_search_vector(engine)
    except DBAPIError as exc:
        raise store_error(inp.name, exc, 0) from None

    def records() -> Iterator[PaperRecord | PreparedPaper]:
        nonlocal rejected
        for item in iter_file(inp, parallel=parallel, vectors=vectors):
            if isinstance(item, RejectedRecord):
                rejected += 1
                if on_reject is not None:
                    on_reject(item)
            else:
                yield item

    try:
        report = upsert_records(
            engine, records(), batch_size=batch_size, on_reject=on_reject, on_batch=batch_done
        )
    except DBAPIError as exc:
        raise store_error(inp.name, exc, stored) from None
    report.rejected += rejected
    return report
