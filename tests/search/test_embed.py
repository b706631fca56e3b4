"""The embedding models: offline, deterministic, normalised, robust to any text."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.demo.builder import load_papers
from paperfeed.search.embedder import (
    ModelUnavailable,
    clean_text,
    get_embedder,
    paper_text,
    storage_key,
)


def test_clean_text_drops_controls_and_caps_length() -> None:
    assert clean_text("a\x00b\u200bc\x1b[0m \ud800\n\t d") == "a b c [0m d"
    assert clean_text("  ") == ""
    assert len(clean_text("word " * 10_000)) <= 4000
    assert clean_text("Müller 🚀 计算") == "Müller 🚀 计算"


def test_paper_text_joins_title_and_abstract() -> None:
    assert paper_text("A  title", "An\nabstract.") == "A title. An abstract."
    assert paper_text("Only a title", None) == "Only a title."


def test_static_vectors_are_normalised_and_deterministic() -> None:
    model = get_embedder("minilm-static")
    texts = ["sparse autoencoders for interpretability", "", "🚀🚀", "x" * 10_000, "\x00"]
    a = model.encode(texts)
    b = model.encode(list(reversed(texts)))[::-1]
    assert a.dtype == np.float32 and a.shape == (5, 384)
    assert np.allclose(a, b)
    assert abs(float(np.linalg.norm(a[0])) - 1.0) < 1e-5
    assert not a[1].any()  # nothing to embed: a zero vector, never NaN
    assert np.isfinite(a).all()


def test_static_model_matches_titles_to_their_abstracts() -> None:
    """Title -> abstract retrieval over the 265 real demo papers (measured acc@1 ~0.85)."""
    papers = load_papers()
    model = get_embedder("minilm-static")
    q = model.encode([p["title"] for p in papers])
    d = model.encode([p["abstract"] for p in papers])
    sims = q @ d.T
    rank = (sims > np.diag(sims)[:, None]).sum(axis=1)
    assert (rank == 0).mean() >= 0.75
    assert (rank < 10).mean() >= 0.9


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailable, match="unknown embedding model"):
        get_embedder("word2vec")


def test_storage_keys_name_the_recipe() -> None:
    assert storage_key("minilm") == "minilm"
    assert storage_key("minilm-static").startswith("minilm-static-r")


@pytest.mark.slow
def test_minilm_transformer_embeds_offline_and_agrees_on_topics() -> None:
    model = get_embedder("minilm")
    vecs = model.encode([
        "Black hole thermodynamics and the third law",
        "Entropy of extremal black holes in general relativity",
        "A recipe for sourdough bread",
    ])
    assert vecs.shape == (3, 384)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2]) + 0.2
