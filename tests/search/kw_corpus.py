"""A small, hand-made corpus whose keyword rankings are unambiguous, for both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperfeed.storage.models import Paper

CORPUS: list[dict[str, object]] = [
    {
        "arxiv_id": "2401.00001",
        "title": "Sparse autoencoders find interpretable features",
        "authors": ["Ada Lovelace", "Yann LeCun"],
        "categories": ["cs.LG", "cs.AI"],
        "published": date(2024, 1, 10),
        "abstract": "We train dictionaries on model activations of language networks.",
    },
    {
        "arxiv_id": "2401.00002",
        "title": "Graph neural networks for molecules",
        "authors": ["Jürgen Müller"],
        "categories": ["cs.LG"],
        "published": date(2024, 1, 11),
        "abstract": "Message passing on molecular graphs; sparse inputs are common in chemistry.",
    },
    {
        "arxiv_id": "2302.00003",
        "title": "Diffusion models for image generation",
        "authors": ["Grace Hopper"],
        "categories": ["cs.CV"],
        "published": date(2023, 2, 1),
        "abstract": "Denoising diffusion guided by a language model prompt.",
    },
    {
        "arxiv_id": "2205.00004",
        "title": "Quantum error correction with surface codes",
        "authors": ["Alan Turing"],
        "categories": ["quant-ph"],
        "published": date(2022, 5, 5),
        "abstract": "Qubits, <b>gates</b> & fidelity under noise.",
    },
    {
        "arxiv_id": "2403.00005",
        "title": "A survey of large language models",
        "authors": ["Yann LeCun", "Geoffrey Hinton"],
        "categories": ["cs.CL", "cs.LG"],
        "published": date(2024, 3, 1),
        "abstract": "We review language model training and reasoning.",
    },
    {
        "arxiv_id": "hep-th/9901001",
        "title": "String theory dualities",
        "authors": ["Edward Witten"],
        "categories": ["hep-th"],
        "published": date(1999, 1, 1),
        "abstract": "An old-style identifier paper about branes.",
    },
    {
        "arxiv_id": "2404.00007",
        "title": "Interpretable features of vision transformers",
        "authors": ["Lovelace Ada"],
        "categories": ["cs.CV"],
        "published": date(2024, 4, 1),
        "abstract": "Sparse probing of attention heads <script>alert(1)</script> in images.",
    },
]


def add_corpus(engine: Engine) -> dict[str, int]:
    """Insert the corpus; returns arXiv id -> primary key."""
    with Session(engine) as s:
        papers = []
        for row in CORPUS:
            cats = list(row["categories"])  # type: ignore[call-overload]
            papers.append(Paper(**row, primary_category=cats[0]))
        s.add_all(papers)
        s.commit()
        return {p.arxiv_id: p.id for p in papers}
