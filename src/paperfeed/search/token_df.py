"""Document frequencies of MiniLM's WordPiece tokens over a reference set of real arXiv
records, shipped with the package as ``search/data/token_df.json``.

The static model weights each token by its inverse document frequency; a fixed reference
table (rather than the corpus being indexed) keeps every vector a pure function of its text,
so vectors never go stale as the collection grows. The table was computed from the CC0
arXiv metadata in ``tests/fixtures`` (the OAI-PMH ListRecords response of 897 records, the
snapshot head of 200, the arXiv API responses), deliberately *not* from the RSS listing
the demo data and the retrieval evaluation use. It is built at development time by
``scripts/build_token_df.py``; this module only loads it.
"""

from __future__ import annotations

import json
from importlib import resources

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
