"""Write a synthetic arXiv metadata snapshot: one JSON object a line, any size.

The lines follow the field layout of the public arXiv metadata snapshot (id,
submitter, authors, title, comments, journal-ref, doi, report-no, categories,
license, abstract, versions, update_date, authors_parsed), so the importer can be
benchmarked at any size without network access.

Papers are drawn from topics, each with its own vocabulary and categories, so
search quality can be measured too: a query made of a topic's words should find
papers of that topic. The topic of every paper goes to a side file
(``--topics FILE``: ``id<TAB>topic`` lines), never into the JSON.

    python -m benchmarks.synth -n 1000000 -o bench-data/snapshot-1m.jsonl.gz --topics topics.tsv

Deterministic for a given seed. Standard library only. (Adapted from the project's
shared synth_arxiv.py tool.)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import IO, Any


def _words(text: str) -> list[str]:
    return text.split()

GENERAL = _words("""we propose novel method approach framework model models results show
demonstrate performance paper study analysis experiments experimental empirical
theoretical present introduce based using data large small efficient effective
significant improvement improvements compared existing state art benchmark
benchmarks tasks task problem problems learning training trained evaluation
evaluate accuracy robust robustness generalization structure structures simple
new first however further also while both each across multiple different
various several key challenge challenges address addresses achieve achieves
outperform outperforms baseline baselines recent work prior limited scale
scaling leverage leveraging provide provides insights understanding general
specific setting settings time cost efficient efficiency high low dimensional
framework algorithm algorithms theory bound bounds optimal code available
publicly release released real world synthetic dataset datasets""")

TOPICS: dict[str, tuple[list[str], str]] = {
    "sparse-autoencoders": (["cs.LG", "cs.AI", "cs.CL"], """sparse autoencoder
        autoencoders features feature dictionary interpretability interpretable
        activations activation superposition monosemantic polysemantic neurons
        residual stream mechanistic circuits circuit attention heads decomposition
        latent reconstruction l1 penalty topk dead latents transcoders probing"""),
    "activation-sparsity": (["cs.LG", "cs.CL", "cs.AR"], """activation sparsity
        sparse inference pruning pruned mask masks channels neurons relu gating
        flops speedup kernels latency llm llms weights magnitude structured
        unstructured lottery ticket tickets dynamic static compression quantization"""),
    "neural-operators": (["cs.LG", "math.NA", "physics.comp-ph"], """neural operator
        operators pde pdes partial differential equations solver solvers fourier
        spectral multigrid discretization resolution navier stokes darcy flow
        inverse forward boundary conditions mesh physics informed residual latent"""),
    "diffusion-models": (["cs.CV", "cs.LG"], """diffusion denoising score image
        images generation generative text-to-image sampling sampler noise schedule
        guidance classifier-free latent unet prompt prompts fidelity fid samples
        editing inversion video synthesis"""),
    "llm-reasoning": (["cs.CL", "cs.AI"], """language model models llm llms
        reasoning chain thought prompting arithmetic mathematical math tokenization
        tokens instruction tuning benchmark competition problems solutions
        in-context few-shot zero-shot alignment preference feedback"""),
    "robotics": (["cs.RO", "cs.AI"], """robot robots robotic manipulation grasping
        policy policies planning planner control controller embodied multimodal
        perception haptic tactile sim-to-real trajectories locomotion navigation
        reinforcement reward demonstrations imitation"""),
    "graph-learning": (["cs.LG", "cs.SI"], """graph graphs node nodes edge edges
        message passing gnn gnns neighborhood aggregation permutation invariant
        sets set subset molecules molecular link prediction heterophily
        oversmoothing spectral combinatorial"""),
    "quantum-physics": (["quant-ph", "cond-mat.str-el"], """quantum qubit qubits
        entanglement hamiltonian circuit circuits gate gates error correction
        fidelity decoherence spin lattice ground state variational eigensolver
        hardware noise tomography measurement"""),
    "astrophysics": (["astro-ph.GA", "astro-ph.CO"], """galaxy galaxies stellar
        stars dark matter halo halos cosmological redshift survey telescope
        emission spectra luminosity supernova accretion black hole merger
        gravitational waves simulations"""),
    "neuroscience": (["q-bio.NC", "cs.NE"], """neural neurons cortex cortical
        visual v1 receptive fields spiking synaptic plasticity hebbian coding
        sparse coding predictive memory episodic semantic brain recordings
        biologically plausible dynamics"""),
}

FIRST = _words("Wei Anna Jonas Maria Pierre Yuki Chen Fatima Olga Raj Lucía Søren "
         "Zoë Ahmed Ines Tomasz Mei Kwame Hiro Élodie Björn Nadia Ravi Sofia "
         "Dmitri Aylin José Leilani Ngozi Ivan")
LAST = _words("Zhang Müller García Kowalski Tanaka Nguyen Okafor Ivanova Dubois Singh "
        "Rossi Andersson Kim Haddad Novák Silva O'Brien Schmidt Wang Li Patel "
        "Fernández Yilmaz Sato Ødegaard Mbeki Costa Papadopoulos Levi Jensen")
LICENSES = [None, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
            "http://creativecommons.org/licenses/by/4.0/",
            "http://creativecommons.org/licenses/by-sa/4.0/"]
MATH = [r"$\ell_1$", r"$O(n \log n)$", r"$\mathcal{O}(1/\sqrt{T})$",
        r"$k$", r"$\epsilon$-approximate", r"$10^{3}\times$", r"$\Pi$"]
COMMENTS = [None, "12 pages, 4 figures", "Accepted at a conference", "v2: fixed typos",
            "30 pages"]


def paper(rng: random.Random, serial: int, day: date, topic: str) -> dict[str, Any]:
    """One snapshot-format paper of ``topic``, submitted on ``day``."""
    cats, words = TOPICS[topic]
    vocab = words.split()

    def words_from(n: int, topical: float) -> list[str]:
        k = max(0, min(n, round(n * topical + rng.uniform(-1.5, 1.5))))
        picked = rng.choices(vocab, k=k) + rng.choices(GENERAL, k=n - k)
        rng.shuffle(picked)
        return picked

    title = " ".join(words_from(rng.randint(5, 13), 0.55)).capitalize()
    if rng.random() < 0.05:
        title = title + " with " + rng.choice(MATH)
    sentences = []
    for _ in range(rng.randint(5, 10)):
        s = words_from(rng.randint(12, 28), 0.3)
        if rng.random() < 0.08:
            s.insert(rng.randrange(len(s)), rng.choice(MATH))
        sentences.append(" ".join(s).capitalize() + ".")
    abstract = "  " + "\n".join(sentences) + "\n"
    n_auth = min(1 + int(rng.expovariate(1 / 3.5)), 40)
    people = [(rng.choice(LAST), rng.choice(FIRST)) for _ in range(n_auth)]
    primary = cats[0] if rng.random() < 0.7 else rng.choice(cats)
    categories = [primary] + [c for c in cats if c != primary and rng.random() < 0.3]
    created = [day]
    for _ in range(int(rng.expovariate(1 / 0.6))):
        created.append(created[-1] + timedelta(days=rng.randint(1, 200)))
    arxiv_id = f"{day:%y%m}.{serial:05d}"
    return {
        "id": arxiv_id,
        "submitter": f"{people[0][1]} {people[0][0]}",
        "authors": ", ".join(f"{first} {last}" for last, first in people),
        "title": title,
        "comments": rng.choice(COMMENTS),
        "journal-ref": None,
        "doi": None if rng.random() < 0.8 else f"10.1000/synth.{arxiv_id}",
        "report-no": None,
        "categories": " ".join(categories),
        "license": rng.choice(LICENSES),
        "abstract": abstract,
        "versions": [{"version": f"v{i + 1}",
                      "created": d.strftime("%a, %d %b %Y 10:00:00 GMT")}
                     for i, d in enumerate(created)],
        "update_date": created[-1].isoformat(),
        "authors_parsed": [[last, first, ""] for last, first in people],
    }


def generate_with_topics(
    n: int, seed: int = 1, *, start: date = date(2023, 1, 2), per_day: int = 800
) -> Iterator[tuple[dict[str, Any], str]]:
    """``n`` (paper, topic) pairs with unique ids, ``per_day`` papers a day from ``start``."""
    rng = random.Random(seed)
    names = list(TOPICS)
    weights = [1 / (rank + 2) for rank in range(len(names))]  # mildly skewed
    day, serial, month = start, 0, (start.year, start.month)
    for i in range(n):
        if i and i % per_day == 0:
            day += timedelta(days=1)
        if (day.year, day.month) != month:
            month, serial = (day.year, day.month), 0
        serial += 1
        topic = rng.choices(names, weights)[0]
        yield paper(rng, serial, day, topic), topic


def generate(n: int, seed: int = 1, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """``n`` snapshot-format papers (dicts), deterministic for ``seed``."""
    for rec, _topic in generate_with_topics(n, seed, **kwargs):
        yield rec


def write(
    n: int, out: IO[str], *, seed: int = 1, topics: IO[str] | None = None, **kwargs: Any
) -> None:
    for rec, topic in generate_with_topics(n, seed, **kwargs):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if topics is not None:
            topics.write(f"{rec['id']}\t{topic}\n")


def open_text_out(path: str) -> IO[str]:
    if path == "-":
        return sys.stdout
    if path.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=1)
    return open(path, "w", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=10000, help="papers to write")
    ap.add_argument("-o", default="-", help="output file (.gz compresses); - for stdout")
    ap.add_argument("--topics", help="also write id<TAB>topic lines here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2023-01-02", help="first submission day")
    ap.add_argument("--per-day", type=int, default=800, help="papers a day")
    a = ap.parse_args(argv)
    out = open_text_out(a.o)
    side = open(a.topics, "w", encoding="utf-8") if a.topics else None  # noqa: SIM115
    try:
        write(a.n, out, seed=a.seed, topics=side, start=date.fromisoformat(a.start),
              per_day=a.per_day)
    finally:
        if out is not sys.stdout:
            out.close()
        if side is not None:
            side.close()


if __name__ == "__main__":
    main()
