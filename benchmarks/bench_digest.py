"""Email digests: compose, render, build and send them for 100,000 subscribers.

    python -m benchmarks.bench_digest --reuse             # 1M papers, 100k subscribers
    python -m benchmarks.bench_digest -n 100000 --subscribers 10000 --send 1000
    python -m benchmarks.bench_digest --reuse --profile   # and where compose+render spend time

Targets (product description, 2-core machine): 100,000 confirmed subscriptions with
topics over 1,000,000 papers; compose and render digests at >= 2,000 digests/s on 2
cores. Also reported, without a target: building and serializing the mail messages, and
the sending rate through the real outbox to a loopback SMTP server that accepts
everything.

Data: bench_community's database (``build`` with its defaults: N papers, N/10 users,
daily lists over 365 days ending on the day it was built, N votes). With ``--reuse`` an
existing ``bench-data/community-N-USERS-VOTES.db`` is copied once to
``bench-data/digest-N-SUBSCRIBERS.db`` (else that file is built from scratch), migrated
to the current schema, and given ``--subscribers`` active subscriptions (deterministic
for ``--seed``), drawn with a skew from the data's own vocabulary: each reader has a main
topic (the synthetic generator's ten, as popular as their papers), 1-3 arXiv categories
that the papers use, 0-3 keywords from recent titles (popular words more often), 0-1
author names from the papers, 10% one saved search; 90% daily, 10% weekly.

The period: the daily period of the latest list day on which papers were also published
(``--day`` to choose one). The synthetic snapshot's papers end months before the lists
do (the lists end on the day the database was built), and on a day without new papers
no topic matches anything: every digest would hold the trending papers only.

Measured, in order:

a. prepare: a Composer for the period (the trending papers) and one search for every
   distinct topic of every subscriber (each is searched once per run and cached);
b. compose + render every subscriber's digest in this process (the manage and
   unsubscribe links signed for each), with the topic searches cached by (a), and the
   rate once (a)'s time is counted too;
c. the same in 2 processes, each with its own Composer (its own searches) over half the
   subscribers: the 2-core figure;
d. the mail message of each of the first ``--messages`` digests (``mailer.message``, the
   real headers and HTML checks) serialized with ``as_bytes()``;
e. ``service.send`` for ``--send`` daily subscribers (the others paused meanwhile) to an
   accept-all aiosmtpd server in its own process: claims, commits and SMTP through the
   real outbox; the time its Composer spends in topic searches is shown apart.

Topic searches run in hybrid mode (keyword and meaning) among the period's papers
(:class:`~paperfeed.search.scoped.ScopedSearch`): before (a), the period's papers get the
vectors ``paperfeed index`` would store for them (the rest of the million need none, as
a digest never reads them), unless they have them already.

The subscriptions are loaded before (b) and frozen out of the garbage collector (the
real sender loads one at a time).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import multiprocessing
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from benchmarks import synth
from paperfeed.config import DigestSettings, Settings
from paperfeed.digest import compose, links, service
from paperfeed.digest.compose import Composer, topics_of
from paperfeed.digest.emails import DigestRenderer
from paperfeed.digest.periods import Period, containing
from paperfeed.mail import mailer
from paperfeed.search import embedding_store
from paperfeed.search.embedder import content_hash, get_embedder, paper_text
from paperfeed.search.query import STOP_WORDS
from paperfeed.storage import migrate
from paperfeed.storage.engine import make_engine
from paperfeed.storage.models import Subscription

TARGET_RATE = 2_000  # digests/s on 2 cores
BASE_URL = "https://papers.example.org"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- Data -----------------------------------------------------------------------------


@contextmanager
def _sqlite(db: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection: committed at the end of the block, then closed."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def database(data_dir: Path, n: int, subscribers: int, reuse: bool) -> Path:
    """bench-data/digest-N-SUBS.db: copied from bench_community's database when
    reusing one, else built; always migrated to the current schema."""
    from benchmarks.bench_community import build

    users, votes = max(1, n // 10), n  # bench_community's defaults at 1M papers
    db = data_dir / f"digest-{n}-{subscribers}.db"
    community = data_dir / f"community-{n}-{users}-{votes}.db"
    if not (reuse and db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        if reuse and community.exists():
            print(f"copying {community} to {db} ...", flush=True)
            with _sqlite(community) as conn:  # fold any WAL into the file first
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            part = db.with_suffix(".db.part")
            shutil.copyfile(community, part)
            part.rename(db)
        else:
            print(f"building {db} (bench_community's database) ...", flush=True)
            build(db, data_dir, n, users, votes, days=365, per_day=50)
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    engine.dispose()
    return db


@dataclass
class Vocabulary:
    """What subscribers choose from, as found in the data (most frequent first)."""

    topics: list[str]
    topic_weights: list[float]
    categories: dict[str, list[str]]  # topic -> its categories the papers use
    category_counts: dict[str, int]
    words: dict[str, list[str]]  # topic -> its words seen in recent titles
    general: list[str]  # other words of recent titles
    phrases: dict[str, list[str]]  # topic -> adjacent word pairs of its vocabulary
    authors: list[str]


def vocabulary(conn: sqlite3.Connection, sample: int = 20_000) -> Vocabulary:
    counts = dict(conn.execute(
        "SELECT primary_category, count(*) FROM papers WHERE primary_category IS NOT NULL "
        "GROUP BY primary_category"))
    words: Counter[str] = Counter()
    people: Counter[str] = Counter()
    for title, authors in conn.execute(
            "SELECT title, authors FROM papers ORDER BY id DESC LIMIT ?", (sample,)):
        words.update(w for w in title.lower().split() if w.isalpha() and w not in STOP_WORDS)
        people.update(json.loads(authors))
    topics = list(synth.TOPICS)
    cats, topical, phrases = {}, {}, {}
    for topic, (topic_cats, text) in synth.TOPICS.items():
        cats[topic] = [c for c in topic_cats if c in counts]
        vocab = text.split()
        topical[topic] = sorted({w for w in vocab if words[w]}, key=lambda w: (-words[w], w))
        phrases[topic] = [f"{a} {b}" for a, b in pairwise(vocab)
                          if words[a] and words[b]]
    own = {w for ws in topical.values() for w in ws}
    general = sorted((w for w in words if w not in own and len(w) > 3),
                     key=lambda w: (-words[w], w))
    return Vocabulary(
        topics=topics, topic_weights=[1 / (rank + 2) for rank in range(len(topics))],
        categories=cats, category_counts=counts, words=topical, general=general,
        phrases=phrases, authors=[name for name, _ in people.most_common()])


def _zipf(rng: random.Random, items: list[str], s: float = 1.0) -> str:
    """An item, the first ones more often (weight 1/rank^s)."""
    return rng.choices(items, [1 / (rank + 1) ** s for rank in range(len(items))])[0]


def _search(rng: random.Random, vocab: Vocabulary, topic: str) -> str:
    """A saved search as a reader would write one."""
    words = vocab.words[topic]
    first, second = _zipf(rng, words), _zipf(rng, words)
    kind = rng.random()
    if kind < 0.3 and vocab.phrases[topic]:
        return f'"{rng.choice(vocab.phrases[topic])}"'
    if kind < 0.5:
        return f"{first} cat:{rng.choice(vocab.categories[topic])}"
    if kind < 0.6:
        return f"{first} {second} -{_zipf(rng, vocab.general)}"
    return f"{first} {second}"


def _topics(rng: random.Random, vocab: Vocabulary) -> dict[str, list[str]]:
    topic = rng.choices(vocab.topics, vocab.topic_weights)[0]
    own = vocab.categories[topic]
    pool = own + [c for c in vocab.category_counts if c not in own]
    weights = [vocab.category_counts[c] * (20 if c in own else 1) for c in pool]
    categories: list[str] = []
    for _ in range(rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0]):
        category = rng.choices(pool, weights)[0]
        if category not in categories:
            categories.append(category)
    keywords: list[str] = []
    for _ in range(rng.choices((0, 1, 2, 3), (0.3, 0.35, 0.2, 0.15))[0]):
        word = (_zipf(rng, vocab.words[topic]) if rng.random() < 0.8
                else _zipf(rng, vocab.general[:300], 0.8))
        if word not in keywords:
            keywords.append(word)
    authors = [_zipf(rng, vocab.authors, 0.8)] if rng.random() < 0.3 else []
    searches = [_search(rng, vocab, topic)] if rng.random() < 0.1 else []
    return {"categories": categories, "keywords": keywords, "authors": authors,
            "searches": searches}


def subscription_rows(vocab: Vocabulary, count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    stamp = (_now() - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
    for i in range(count):
        topics = _topics(rng, vocab)
        email = f"reader{i}@{rng.choice(('example.org', 'example.com', 'mail.example.net'))}"
        yield (email, email.lower(), "active", "daily" if rng.random() < 0.9 else "weekly",
               rng.choice((5, 10, 10, 10, 10, 15, 20)),
               json.dumps(topics["categories"]), json.dumps(topics["keywords"]),
               json.dumps(topics["authors"]), json.dumps(topics["searches"]),
               f"{rng.getrandbits(128):032x}", stamp)


def subscribe(db: Path, count: int, seed: int) -> None:
    """`count` active subscriptions (kept when the database already has them); the
    outbox emptied and every subscription active again, as before any run."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        have = conn.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
        conn.execute("DELETE FROM digest_outbox")
        if have != count:
            started = time.perf_counter()
            conn.execute("DELETE FROM subscriptions")
            vocab = vocabulary(conn)
            conn.executemany(
                "INSERT INTO subscriptions (email, email_key, status, period, max_papers, "
                "categories, keywords, authors, searches, secret, hard_bounces, created_at, "
                "updated_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                ((*row, row[-1], row[-1]) for row in subscription_rows(vocab, count, seed)))
            print(f"  {count:,} subscriptions inserted in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        conn.execute("UPDATE subscriptions SET status = 'active' WHERE status != 'active'")
        conn.commit()
        conn.execute("ANALYZE subscriptions")
    finally:
        conn.close()


def digest_day(db: Path) -> date:
    """The latest list day on which papers were published too."""
    with _sqlite(db) as conn:
        day = conn.execute(
            "SELECT max(day) FROM daily_entries WHERE day <= "
            "(SELECT max(published) FROM papers)").fetchone()[0]
    if day is None:
        raise SystemExit("no daily list on a day with published papers")
    return date.fromisoformat(day)


def make_settings(db: Path, data_dir: str, smtp_url: str = "") -> Settings:
    return Settings(
        database_url=f"sqlite:///{db}", data_dir=Path(data_dir), secret_key="d" * 40,
        base_url=BASE_URL, site_name="Paper Club", smtp_url=smtp_url,
        mail_from="Paper Club <digest@papers.example.org>",
        digest=DigestSettings(retry_window=0.0),
    )


def load_subscriptions(engine: Engine, part: int = 0, parts: int = 1) -> list[Subscription]:
    """Every active subscription (weekly ones too: what a digest holds does not depend
    on how often it goes out), or every `parts`-th one from `part`."""
    with Session(engine) as session:
        query = select(Subscription).where(Subscription.status == "active")
        if parts > 1:
            query = query.where(Subscription.id % parts == part)
        return list(session.scalars(query.order_by(Subscription.id)))


def embed_period(engine: Engine, settings: Settings, period: Period) -> tuple[int, float]:
    """(papers embedded, seconds): vectors for the period's papers that have none."""
    started = time.perf_counter()
    embedder = get_embedder(settings.embedding_model)
    end = period.end + timedelta(days=1)
    with engine.connect() as conn:
        ids = [int(r[0]) for r in conn.exec_driver_sql(
            "SELECT p.id FROM papers p LEFT JOIN paper_embeddings e ON e.paper_id = p.id"
            " AND e.model = ? WHERE e.paper_id IS NULL AND p.published >= ?"
            " AND p.published < ?", (embedder.key, period.start.isoformat(), end.isoformat()))]
        texts = embedding_store.paper_texts(conn, ids) if ids else []
    if texts:
        docs = [paper_text(title, abstract) for _, title, abstract in texts]
        vectors = embedder.encode(docs)
        rows = [(pid, content_hash(doc), vec)
                for (pid, _, _), doc, vec in zip(texts, docs, vectors, strict=True)]
        with engine.begin() as conn:
            embedding_store.write_vectors(conn, embedder.key, rows, _now())
    return len(texts), time.perf_counter() - started


# --- Measuring ------------------------------------------------------------------------


@dataclass
class Prepared:
    composer: Composer
    trending_s: float
    scope_s: float
    scope_papers: int
    topics: int
    search_s: float
    by_kind: dict[str, tuple[int, float]] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    per_query: list[float] = field(default_factory=list)


def _kind(query: str) -> str:
    if query.startswith("cat:"):
        return "category"
    if query.startswith('author:"'):
        return "author"
    return "keyword/search"


def prepare(engine: Engine, settings: Settings, period: Period,
            subscriptions: list[Subscription]) -> Prepared:
    started = time.perf_counter()
    composer = Composer(engine, settings, period)
    trending_s = time.perf_counter() - started
    started = time.perf_counter()
    scope = composer.scope
    scope_s = time.perf_counter() - started
    if scope.semantic_unavailable:
        print(f"  (topic searches by keyword only: {scope.semantic_unavailable})")
    queries = list(dict.fromkeys(q for s in subscriptions for q, _ in topics_of(s)))
    kinds: dict[str, list[float]] = {}
    timed: list[tuple[float, str]] = []
    started = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        composer.topic_hits(query)
        took = time.perf_counter() - t0
        kinds.setdefault(_kind(query), []).append(took)
        timed.append((took, query))
    search_s = time.perf_counter() - started
    return Prepared(composer, trending_s, scope_s, len(scope), len(queries), search_s,
                    {k: (len(v), sum(v)) for k, v in kinds.items()},
                    sorted(timed, reverse=True)[:5], [t for t, _ in timed])


@dataclass
class Composed:
    digests: int = 0
    papers: int = 0
    matched: int = 0
    html_bytes: int = 0
    text_bytes: int = 0
    seconds: float = 0.0


def compose_render(composer: Composer, renderer: DigestRenderer, key: str,
                   subscriptions: list[Subscription]) -> Composed:
    """Each subscriber's digest composed and rendered with its signed links."""
    out = Composed()
    started = time.perf_counter()
    for subscription in subscriptions:
        digest = composer.compose(subscription)
        letter = renderer.render(
            digest, manage_url=links.link(BASE_URL, key, "manage", subscription),
            unsubscribe_url=links.link(BASE_URL, key, "unsubscribe", subscription))
        out.digests += 1
        out.papers += digest.papers
        out.matched += len(digest.matched)
        out.html_bytes += len(letter.html)
        out.text_bytes += len(letter.text)
    out.seconds = time.perf_counter() - started
    return out


def _half(db: str, data_dir: str, period: Period, part: int) -> dict[str, float]:
    """One of the 2 processes of (c): its own engine, Composer and searches."""
    started = time.perf_counter()
    settings = make_settings(Path(db), data_dir)
    engine = make_engine(settings.database_url)
    subscriptions = load_subscriptions(engine, part, 2)
    gc.collect()
    gc.freeze()
    loaded = time.perf_counter()
    prepared = prepare(engine, settings, period, subscriptions)
    renderer = DigestRenderer(settings, period)
    composed = compose_render(prepared.composer, renderer,
                              settings.secret_key.get_secret_value(), subscriptions)
    engine.dispose()
    return {"digests": composed.digests, "load_s": loaded - started,
            "prepare_s": prepared.trending_s + prepared.scope_s + prepared.search_s,
            "topics": prepared.topics,
            "compose_s": composed.seconds, "end": time.time()}


def two_processes(db: Path, data_dir: str, period: Period) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    started, wall = time.time(), time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        halves = list(pool.map(_half, [str(db)] * 2, [data_dir] * 2, [period] * 2, [0, 1]))
    wall = time.perf_counter() - wall
    digests = sum(h["digests"] for h in halves)
    return {
        "digests": digests, "wall_s": wall,
        "compose_s": max(h["compose_s"] for h in halves),
        "prepare_s": max(h["prepare_s"] for h in halves),
        "work_s": max(h["prepare_s"] + h["compose_s"] for h in halves),
        "load_s": max(h["load_s"] for h in halves),
        "topics": max(h["topics"] for h in halves),
        "started": started,
    }


def messages(settings: Settings, composer: Composer, renderer: DigestRenderer,
             subscriptions: list[Subscription]) -> tuple[int, float, float, int]:
    """(messages, seconds building and serializing them, seconds of the whole pipeline,
    bytes): compose, render, mailer.message, as_bytes() for each subscription."""
    key = settings.secret_key.get_secret_value()
    build_s, size = 0.0, 0
    started = time.perf_counter()
    for subscription in subscriptions:
        unsubscribe = links.link(BASE_URL, key, "unsubscribe", subscription)
        letter = renderer.render(
            composer.compose(subscription),
            manage_url=links.link(BASE_URL, key, "manage", subscription),
            unsubscribe_url=unsubscribe)
        t0 = time.perf_counter()
        message = mailer.message(settings, subscription.email, letter, list_name="digest",
                                 unsubscribe_url=unsubscribe)
        size += len(message.as_bytes())
        build_s += time.perf_counter() - t0
    return len(subscriptions), build_s, time.perf_counter() - started, size


# --- Sending --------------------------------------------------------------------------


def _smtp_server(port: int, ready: Any, stop: Any, counts: Any) -> None:
    """An aiosmtpd server on 127.0.0.1:`port` that accepts every message (run in its
    own process, so it does not share a core's GIL with the sender)."""
    from aiosmtpd.controller import Controller

    class AcceptAll:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counts[0] += 1
            counts[1] += len(envelope.original_content or b"")
            return "250 OK"

    controller = Controller(AcceptAll(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@contextmanager
def smtp_server() -> Iterator[tuple[str, Callable[[], tuple[int, int]]]]:
    """(mail URL, a function returning (messages, bytes) received so far)."""
    from benchmarks.bench_daily_page import free_port

    context = multiprocessing.get_context("spawn")
    ready, stop, counts = context.Event(), context.Event(), context.Array("q", 2)
    port = free_port()
    process = context.Process(target=_smtp_server, args=(port, ready, stop, counts),
                              daemon=True)
    process.start()
    if not ready.wait(60):
        process.kill()
        raise SystemExit("the SMTP server did not start")
    try:
        yield f"smtp://127.0.0.1:{port}", lambda: (counts[0], counts[1])
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():
            process.kill()


@contextmanager
def timed_searches() -> Iterator[list[float]]:
    """Seconds spent in topic searches (loading the period's papers included) while the
    block runs (total in [0])."""
    spent = [0.0]
    original = compose.Composer.topic_hits

    def topic_hits(self: Composer, query: str) -> list[tuple[str, bool]]:
        started = time.perf_counter()
        try:
            return original(self, query)
        finally:
            spent[0] += time.perf_counter() - started

    compose.Composer.topic_hits = topic_hits
    try:
        yield spent
    finally:
        compose.Composer.topic_hits = original


def send(db: Path, data_dir: str, period: Period, count: int) -> dict[str, float]:
    """service.send for the first `count` daily subscribers (the rest paused meanwhile)."""
    with _sqlite(db) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM subscriptions WHERE status = 'active' AND period = 'daily' "
            "ORDER BY id LIMIT ?", (count,))]
        conn.execute("DELETE FROM digest_outbox")
        conn.execute("UPDATE subscriptions SET status = 'paused' WHERE period = 'daily' "
                     "AND id > ?", (ids[-1],))
    try:
        with smtp_server() as (url, received):
            settings = make_settings(db, data_dir, url)
            engine = make_engine(settings.database_url)
            with timed_searches() as searching:
                started = time.perf_counter()
                report = service.send(engine, settings, period)
                seconds = time.perf_counter() - started
            engine.dispose()
            got, size = received()
    finally:
        with _sqlite(db) as conn:
            conn.execute("UPDATE subscriptions SET status = 'active' WHERE status = 'paused'")
            conn.execute("DELETE FROM digest_outbox")
    if not report.ok or report.problems:
        print(f"  send problems: {report.problems[:3]}")
    return {"queued": report.queued, "sent": report.sent, "empty": report.empty,
            "received": got, "bytes": size, "seconds": seconds, "search_s": searching[0]}


# --- Report ---------------------------------------------------------------------------


def profile(composer: Composer, renderer: DigestRenderer, key: str,
            subscriptions: list[Subscription], top: int = 30) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    compose_render(composer, renderer, key, subscriptions)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"cProfile of compose + render, {len(subscriptions):,} digests (cached searches):")
    print(out.getvalue())


def _row(what: str, figure: str, target: str = "", verdict: str = "") -> None:
    print(f"| {what:<44} | {figure:<40} | {target:<21} | {verdict:<6} |")


def _verdict(rate: float) -> str:
    return "meets" if rate >= TARGET_RATE else "BELOW"


def table(n: int, subs: int, prep: Prepared, one: Composed, two: dict[str, float],
          msgs: tuple[int, float, float, int], sent: dict[str, float] | None) -> None:
    target = f">= {TARGET_RATE:,}/s"
    print()
    _row("what", "figure", "target", "")
    print(f"|{'-' * 46}|{'-' * 42}|{'-' * 23}|{'-' * 8}|")
    _row("data", f"{n:,} papers, {subs:,} subscriptions", f"{1_000_000:,} / {100_000:,}",
         "meets" if n >= 1_000_000 and subs >= 100_000 else "BELOW")
    _row("(a) trending (Composer())", f"{prep.trending_s * 1000:,.0f} ms")
    _row("(a) the period's papers loaded for search", f"{prep.scope_papers:,} in "
         f"{prep.scope_s * 1000:,.0f} ms")
    _row("(a) distinct topic searches", f"{prep.topics:,} in {prep.search_s:,.1f} s")
    rate1 = one.digests / one.seconds
    rate1_all = one.digests / (one.seconds + prep.search_s + prep.trending_s + prep.scope_s)
    _row("(b) compose+render, 1 process, cached", f"{rate1:,.0f}/s")
    _row("(b) same, searches included", f"{rate1_all:,.0f}/s")
    rate2 = two["digests"] / two["compose_s"]
    rate2_all = two["digests"] / two["work_s"]
    rate2_wall = two["digests"] / two["wall_s"]
    _row("(c) compose+render, 2 processes, cached", f"{rate2:,.0f}/s", target, _verdict(rate2))
    _row("(c) same, each with its own searches", f"{rate2_all:,.0f}/s", target,
         _verdict(rate2_all))
    _row("(c) same, wall clock from spawn to exit", f"{rate2_wall:,.0f}/s", target,
         _verdict(rate2_wall))
    count, build_s, pipe_s, size = msgs
    _row("(d) EmailMessage + as_bytes(), 1 process", f"{count / build_s:,.0f}/s "
         f"({size / count / 1024:,.0f} KiB each)")
    _row("(d) compose+render+message, 1 process", f"{count / pipe_s:,.0f}/s")
    if sent is not None:
        rate = sent["sent"] / sent["seconds"]
        rest = sent["seconds"] - sent["search_s"]
        _row("(e) service.send to loopback SMTP", f"{rate:,.0f}/s ({sent['sent']:,.0f} sent)")
        _row("(e) same, its topic searches excluded", f"{sent['sent'] / rest:,.0f}/s")


def details(prep: Prepared, one: Composed, two: dict[str, float],
            sent: dict[str, float] | None) -> None:
    print()
    for kind, (count, seconds) in sorted(prep.by_kind.items()):
        print(f"  searches, {kind:<15} {count:>6,} distinct, {seconds:7.1f} s "
              f"({seconds / count * 1000:6.1f} ms each)")
    quantiles = statistics.quantiles(prep.per_query, n=100)
    print(f"  search p50 {quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms; "
          "slowest: " + "; ".join(f"{q!r} {t * 1000:.0f} ms" for t, q in prep.slowest[:3]))
    print(f"  per digest (1 process): {one.seconds / one.digests * 1e6:,.0f} µs; "
          f"{one.papers / one.digests:.1f} papers ({one.matched / one.digests:.1f} matched), "
          f"HTML {one.html_bytes / one.digests / 1024:.1f} KiB, "
          f"text {one.text_bytes / one.digests / 1024:.1f} KiB")
    print(f"  2 processes: load {two['load_s']:.1f} s, prepare {two['prepare_s']:.1f} s "
          f"({two['topics']:,.0f} topics each), compose+render {two['compose_s']:.1f} s, "
          f"wall {two['wall_s']:.1f} s")
    if sent is not None:
        print(f"  send: queued {sent['queued']:,.0f}, sent {sent['sent']:,.0f}, empty "
              f"{sent['empty']:,.0f}, server received {sent['received']:,.0f} "
              f"({sent['bytes'] / max(1, sent['received']) / 1024:.0f} KiB each) in "
              f"{sent['seconds']:.1f} s, of which topic searches {sent['search_s']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="papers")
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--send", type=int, default=5_000, help="digests sent over SMTP (0: none)")
    ap.add_argument("--messages", type=int, default=10_000, help="messages built in (d)")
    ap.add_argument("--day", type=date.fromisoformat, help="the daily period (YYYY-MM-DD)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    ap.add_argument("--reuse", action="store_true", help="reuse the databases if built")
    ap.add_argument("--profile", action="store_true", help="cProfile compose + render")
    a = ap.parse_args(argv)
    a.data_dir.mkdir(parents=True, exist_ok=True)
    db = database(a.data_dir, a.n, a.subscribers, a.reuse)
    subscribe(db, a.subscribers, a.seed)
    period = containing("daily", a.day or digest_day(db))
    print(f"period: {period.label} ({period.start}); database {db}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(db, tmp)
        engine = make_engine(settings.database_url)
        embedded, embed_s = embed_period(engine, settings, period)
        if embedded:
            print(f"  {embedded:,} papers of the period embedded in {embed_s:.1f} s", flush=True)
        started = time.perf_counter()
        subscriptions = load_subscriptions(engine)
        gc.collect()
        gc.freeze()
        print(f"  {len(subscriptions):,} subscriptions loaded in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        prep = prepare(engine, settings, period, subscriptions)
        print(f"(a) {prep.topics:,} distinct topics searched in {prep.search_s:.1f} s",
              flush=True)
        renderer = DigestRenderer(settings, period)
        key = settings.secret_key.get_secret_value()
        one = compose_render(prep.composer, renderer, key, subscriptions)
        print(f"(b) {one.digests:,} digests in {one.seconds:.1f} s", flush=True)
        msgs = messages(settings, prep.composer, renderer, subscriptions[: a.messages])
        print(f"(d) {msgs[0]:,} messages, {msgs[1]:.1f} s building them", flush=True)
        if a.profile:
            profile(prep.composer, renderer, key, subscriptions[:20_000])
        engine.dispose()
        gc.unfreeze()
        two = two_processes(db, tmp, period)
        print(f"(c) {two['digests']:,.0f} digests in 2 processes, {two['wall_s']:.1f} s",
              flush=True)
        sent = send(db, tmp, period, a.send) if a.send > 0 else None
    table(a.n, a.subscribers, prep, one, two, msgs, sent)
    details(prep, one, two, sent)
    print(f"(machine: {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}, {_now():%Y-%m-%d})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
