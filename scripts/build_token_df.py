#!/usr/bin/env python3
"""Build the shipped token document-frequency table (src/paperfeed/search/data/token_df.json)
from CC0 arXiv metadata. Run by a developer; the package only loads the output
(:mod:`paperfeed.search.token_df`).

    .venv/bin/python scripts/build_token_df.py tests/fixtures/arxiv_oai_2015-04-24_*.xml \\
        tests/fixtures/kaggle_arxiv-metadata-oai-snapshot_head200.jsonl \\
        tests/fixtures/arxiv_api_20*_search_*.xml tests/fixtures/arxiv_api_20*_idlist_*.xml

The reference set is deliberately *not* the RSS listing the demo data and the retrieval
evaluation use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tokenizers import Tokenizer

from paperfeed.search.embedder import clean_text, model_path
from paperfeed.search.token_df import DATA_FILE
from paperfeed.sources import arxiv_atom, oai_pmh

OUT = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "search" / "data" / DATA_FILE


def _texts(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".jsonl":
        out = []
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.append(f"{rec.get('title', '')}. {rec.get('abstract', '')}")
        return out
    if b"<OAI-PMH" in data[:2000]:
        records = oai_pmh.parse(data, str(path)).records
    else:
        records = arxiv_atom.parse(data, str(path)).records
    return [f"{r.title}. {r.abstract}" for r in records]


def main(argv: list[str] | None = None) -> None:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    texts = sorted({clean_text(t) for p in paths for t in _texts(p)})
    df: dict[int, int] = {}
    for enc in tokenizer.encode_batch(texts, add_special_tokens=False):
        for token_id in set(enc.ids):
            df[token_id] = df.get(token_id, 0) + 1
    body = {
        "documents": len(texts),
        "source": "CC0 arXiv metadata: " + ", ".join(p.name for p in paths),
        "df": {str(k): df[k] for k in sorted(df)},
    }
    OUT.write_text(json.dumps(body, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(texts)} documents, {len(df)} tokens")


if __name__ == "__main__":
    main()
