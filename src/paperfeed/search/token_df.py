"""Document frequencies of MiniLM's WordPiece tokens over a reference set of real arXiv
records, shipped with the package as ``search/data/token_df.json``.

The static model weights each token by its inverse document frequency; a fixed reference
table (rather than the corpus being indexed) keeps every vector a pure function of its text,
so vectors never go stale as the collection grows. The table was computed from the CC0
arXiv metadata in ``tests/fixtures`` (the OAI-PMH ListRecords response of 897 records, the
snapshot head of 200, the arXiv API responses), deliberately *not* from the RSS listing
the demo data and the retrieval evaluation use. Regenerate it with:

    python -m paperfeed.search.token_df tests/fixtures/arxiv_oai_2015-04-24_*.xml \\
        tests/fixtures/kaggle_arxiv-metadata-oai-snapshot_head200.jsonl \\
        tests/fixtures/arxiv_api_20*_search_*.xml tests/fixtures/arxiv_api_20*_idlist_*.xml
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA_FILE = "token_df.json"


def load_idf(vocab_size: int) -> npt.NDArray[np.float32]:
    """1 + log((N + 1) / (df + 1)) per token id; unseen tokens get the largest weight."""
    raw = json.loads(resources.files("paperfeed.search").joinpath("data", DATA_FILE).read_text())
    n = int(raw["documents"])
    df = np.zeros(vocab_size, dtype=np.float64)
    for token_id, count in raw["df"].items():
        if int(token_id) < vocab_size:
            df[int(token_id)] = count
    return (1.0 + np.log((n + 1) / (df + 1))).astype(np.float32)


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
        from paperfeed.sources import oai_pmh

        records = oai_pmh.parse(data, str(path)).records
    else:
        from paperfeed.sources import arxiv_atom

        records = arxiv_atom.parse(data, str(path)).records
    return [f"{r.title}. {r.abstract}" for r in records]


def main(argv: list[str] | None = None) -> None:
    from paperfeed.search.embedder import clean_text, model_path

    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    texts = sorted({clean_text(t) for p in paths for t in _texts(p)})
    df: dict[int, int] = {}
    for enc in tokenizer.encode_batch(texts, add_special_tokens=False):
        for token_id in set(enc.ids):
            df[token_id] = df.get(token_id, 0) + 1
    out = Path(__file__).parent / "data" / DATA_FILE
    body = {
        "documents": len(texts),
        "source": "CC0 arXiv metadata: " + ", ".join(p.name for p in paths),
        "df": {str(k): df[k] for k in sorted(df)},
    }
    out.write_text(json.dumps(body, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {len(texts)} documents, {len(df)} tokens")


if __name__ == "__main__":
    main()
