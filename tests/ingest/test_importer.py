"""Reading inputs: the parallel snapshot parser gives exactly what the plain one gives."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from paperfeed.ingest.importer import _pack, _unpack, iter_file, open_input
from paperfeed.ingest.upsert import PreparedPaper
from paperfeed.records import PaperRecord, RejectedRecord
from tests.conftest import FIXTURES

HEAD200 = FIXTURES / "kaggle_arxiv-metadata-oai-snapshot_head200.jsonl"


def as_records(items: list[object]) -> list[object]:
    return [i.record() if isinstance(i, PreparedPaper) else i for i in items]


def test_parallel_parse_equals_serial_parse(tmp_path: Path) -> None:
    lines = HEAD200.read_bytes().splitlines(keepends=True)
    data = b"".join([*lines[:50], b"{broken\n", b'{"id":"0704.0001","title":"caf\xe9"}\n',
                     *lines[50:]])
    src = tmp_path / "mixed.jsonl.gz"
    src.write_bytes(gzip.compress(data))
    serial = list(iter_file(open_input(str(src)), parallel=False))
    parallel = list(iter_file(open_input(str(src)), parallel=True))
    assert len(serial) == 202
    assert sum(isinstance(i, RejectedRecord) for i in serial) == 2
    assert all(isinstance(i, PreparedPaper | RejectedRecord) for i in parallel)
    assert as_records(parallel) == serial


def test_pack_roundtrip_keeps_every_field_and_raw_bytes() -> None:
    items = list(iter_file(open_input(str(HEAD200)), parallel=False))
    items.append(RejectedRecord("f:9", "bad UTF-8", b"caf\xe9".decode("utf-8", "surrogateescape")))
    for item in items:
        back = _unpack(orjson.loads(orjson.dumps(_pack(item))))  # type: ignore[arg-type]
        if isinstance(item, PaperRecord):
            assert isinstance(back, PreparedPaper) and back.record() == item
        else:
            assert back == item
