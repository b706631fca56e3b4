"""Retrieval quality: keyword vs semantic vs hybrid, on real and on generated papers.

    python -m benchmarks.eval_search                  # everything (MiniLM part takes minutes)
    python -m benchmarks.eval_search --no-minilm      # the default model and search only
    python -m benchmarks.eval_search --no-minilm --pg postgresql+psycopg://user@host/postgres

1. Real records, title -> abstract: the 1,504 real arXiv records of the RSS listing in
   tests/fixtures (CC0). Each title is a query; the right answer is its own paper.
   a) the embedding models alone over abstracts only (acc@1, acc@10): minilm-static (the
      default) and minilm (the transformer);
   b) the whole search service over a database of those papers: arXiv's own category
      names as queries ("Quantum Physics", "Robotics", ...), precision@10 = the share of
      the top ten listed in that category; keyword, semantic and hybrid modes.
2. Generated papers with known topics (benchmarks/synth.py): topic queries (three words
   of a topic's vocabulary, and plain-language descriptions) and precision@10, the share
   of the top ten that belong to the topic, per mode.

Everything runs in a temporary directory; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, make_url, text

from benchmarks.synth import TOPICS, generate_with_topics
from paperfeed.config import Settings
from paperfeed.ingest.upsert import upsert_records
from paperfeed.records import PaperRecord
from paperfeed.search.embedder import get_embedder
from paperfeed.search.indexing import index_missing
from paperfeed.search.keyword import optimize_index
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
RSS = ROOT / "tests" / "fixtures" / "arxiv_rss_2024-11-28_all_archives_1504items.xml"
MODES = ("keyword", "semantic", "hybrid")

# arXiv's category names (https://arxiv.org/category_taxonomy), for categories with 20+
# papers in the RSS fixture.
CATEGORY_NAMES = {
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CL": "Computation and Language",
    "quant-ph": "Quantum Physics",
    "hep-th": "High Energy Physics - Theory",
    "hep-ph": "High Energy Physics - Phenomenology",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "cs.RO": "Robotics",
    "eess.SP": "Signal Processing",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "math.AP": "Analysis of PDEs",
    "math.CO": "Combinatorics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "cs.CR": "Cryptography and Security",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "math.AG": "Algebraic Geometry",
    "math.NA": "Numerical Analysis",
    "stat.ME": "Statistics Methodology",
    "math.OC": "Optimization and Control",
    "hep-ex": "High Energy Physics - Experiment",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "eess.AS": "Audio and Speech Processing",
    "physics.optics": "Optics",
    "eess.IV": "Image and Video Processing",
    "cs.IT": "Information Theory",
    "nucl-th": "Nuclear Theory",
    "math.PR": "Probability",
    "math.NT": "Number Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
}

DESCRIPTIONS = {
    "sparse-autoencoders": "understanding what neurons inside language models represent",
    "activation-sparsity": "making inference faster by skipping zero activations",
    "neural-operators": "learning solvers for differential equations",
    "diffusion-models": "generating pictures from noise",
}


def real_records() -> list[PaperRecord]:
    from paperfeed.sources import arxiv_rss

    parsed = arxiv_rss.parse(RSS.read_bytes(), str(RSS))
    seen: set[str] = set()
    out = []
    for rec in parsed.records:
        if isinstance(rec, PaperRecord) and rec.abstract and rec.title not in seen:
            seen.add(rec.title)
            out.append(rec)
    return out


def model_only(records: list[PaperRecord], model: str) -> None:
    embedder = get_embedder(model)
    t0 = time.perf_counter()
    q = embedder.encode([r.title for r in records])
    d = embedder.encode([r.abstract for r in records])
    rate = 2 * len(records) / (time.perf_counter() - t0)
    sims = q @ d.T
    rank = (sims > np.diag(sims)[:, None]).sum(axis=1)
    print(f"  {model:14} acc@1 {(rank == 0).mean():.3f}  acc@10 {(rank < 10).mean():.3f}  "
          f"({rate:,.0f} texts/s)", flush=True)


# --pg: a PostgreSQL server URL; each evaluation gets its own database there, dropped at exit.
PG_SERVER: str | None = None
_PG_CREATED: list[str] = []


def _database_url(workdir: Path, name: str) -> str:
    if not PG_SERVER:
        return f"sqlite:///{workdir / f'{name}.db'}"
    db = f"pf_eval_{name}_{os.getpid()}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    admin.dispose()
    _PG_CREATED.append(db)
    return make_url(PG_SERVER).set(database=db).render_as_string(hide_password=False)


def _drop_pg_databases() -> None:
    if not (PG_SERVER and _PG_CREATED):
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for db in _PG_CREATED:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    admin.dispose()


def database(records: list[PaperRecord], workdir: Path, name: str, model: str) -> Settings:
    url = _database_url(workdir, name)
    settings = Settings(database_url=url, data_dir=workdir, embedding_model=model)
    engine = make_engine(url)
    migrate.upgrade(engine)
    upsert_records(engine, records)
    optimize_index(engine)  # as `paperfeed index` does after an import
    index_missing(engine, settings)
    engine.dispose()
    return settings


def run_modes(
    settings: Settings,
    queries: list[tuple[str, str]],
    judge: Callable[[str, list[str]], float],
    label: str,
) -> None:
    from paperfeed.search.service import search

    engine = make_engine(settings.database_url)
    for mode in MODES:
        scores = []
        for query, want in queries:
            resp = search(engine, settings, query, mode=mode, limit=10)
            scores.append(judge(want, [r.id for r in resp.results]))
        print(f"  {mode:9} {label} {statistics.fmean(scores):.3f}", flush=True)
    engine.dispose()


def eval_real(records: list[PaperRecord], workdir: Path, models: list[str]) -> None:
    print(f"\n1a. real arXiv records, title -> abstract, models alone ({len(records)} pairs)")
    for model in models:
        model_only(records, model)
    print("\n1b. the search service over those papers: arXiv's own category names as "
          "queries, precision@10 = share of the top ten listed in that category")
    settings = database(records, workdir, "real", "minilm-static")
    cats = {r.id: set(r.categories) for r in records}
    queries = [(name, cat) for cat, name in CATEGORY_NAMES.items()]

    def in_category(want: str, ids: list[str]) -> float:
        return sum(want in cats.get(i, set()) for i in ids) / 10

    run_modes(settings, queries, in_category, f"category names ({len(queries)})")


def eval_synthetic(n: int, workdir: Path) -> None:
    from paperfeed.sources.snapshot import record_from_json

    records: list[PaperRecord] = []
    topic_of: dict[str, str] = {}
    for i, (raw, topic) in enumerate(generate_with_topics(n, seed=3)):
        rec = record_from_json(raw, f"synthetic:{i + 1}")
        records.append(rec)
        topic_of[rec.id] = topic
    settings = database(records, workdir, "synthetic", "minilm-static")
    word_queries = []
    for topic, (_, words) in TOPICS.items():
        vocab = words.split()
        for i in range(0, 15, 3):
            word_queries.append((" ".join(vocab[i : i + 3]), topic))
    described = [(text, topic) for topic, text in DESCRIPTIONS.items()]

    def precision(want: str, ids: list[str]) -> float:
        return sum(topic_of.get(i) == want for i in ids) / 10

    print(f"\n2. generated papers ({len(records):,}, {len(TOPICS)} topics): precision@10")
    run_modes(settings, word_queries, precision, f"topic-word queries ({len(word_queries)})")
    run_modes(settings, described, precision, f"plain-language queries ({len(described)})")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=5000, help="generated papers for part 2")
    ap.add_argument("--no-minilm", action="store_true", help="skip the transformer (slow)")
    ap.add_argument("--pg", "--postgres", dest="pg", metavar="URL",
                    help="run the searches on this PostgreSQL server")
    a = ap.parse_args(argv)
    global PG_SERVER
    PG_SERVER = a.pg
    models = ["minilm-static"] + ([] if a.no_minilm else ["minilm"])
    records = real_records()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            eval_real(records, Path(tmp), models)
            eval_synthetic(a.n, Path(tmp))
    finally:
        _drop_pg_databases()


if __name__ == "__main__":
    main()
