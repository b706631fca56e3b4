"""Hostile input: time to render pathological TeX and to refuse XML entity bombs.

    python -m benchmarks.bench_hostile [--rounds 5]

Renders each pathological TeX string (deep nesting, runaway macros, long chains, 500
math segments) with the page's MathML renderer, and hands a "billion laughs" document
to each feed parser, timing the slowest of ``--rounds`` runs of each. Targets: < 1 s
for each TeX string, < 2 s for the 500 segments, < 1 s to refuse a bomb. (These were
wall-clock asserts in the tests, which a busy machine could fail; the tests now only
guard against hangs.)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from paperfeed.render.mathtext import render_math_text
from paperfeed.sources import arxiv_atom, arxiv_rss, oai_pmh
from paperfeed.sources.errors import SourceError

TEX: dict[str, str] = {
    "5000 nested braces": "$" + "{" * 5000 + "x" + "}" * 5000 + "$",
    "300 open \\frac": "$" + r"\frac{" * 300 + "$",
    "3000 chained x^": "$" + "x^" * 3000 + "x$",
    "recursive \\def": r"$\def\a{\a\a}\a$",
    "recursive \\newcommand": r"$\newcommand{\b}{\b\b}\b$",
    "\\href javascript": r"$\href{javascript:alert(1)}{click}$",
}
SEGMENTS = " ".join(f"$x_{{{i}}}$" for i in range(500))

_LOL = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10))
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol1 "lol">' + _LOL + "]>"
    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol9;</title></entry></feed>'
).encode()


def _refuse(parse: Callable[[bytes, str], object]) -> None:
    try:
        parse(BOMB, "bomb.xml")
    except SourceError:
        return
    raise SystemExit(f"{parse.__module__}: the entity bomb was not refused")


def slowest(fn: Callable[[], object], rounds: int) -> float:
    worst = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        worst = max(worst, time.perf_counter() - started)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    cases: list[tuple[str, Callable[[], object], float]] = [
        (f"tex: {name}", lambda t=text: render_math_text(t), 1.0) for name, text in TEX.items()
    ]
    cases.append(("tex: 500 segments", lambda: render_math_text(SEGMENTS), 2.0))
    for parse in (arxiv_atom.parse, oai_pmh.parse, arxiv_rss.parse):
        cases.append((f"xml bomb: {parse.__module__}", lambda p=parse: _refuse(p), 1.0))
    over = 0
    print(f"{'case':<44} {'slowest':>10} {'target':>8}")
    for name, fn, target in cases:
        took = slowest(fn, args.rounds)
        over += took >= target
        mark = "" if took < target else "  OVER TARGET"
        print(f"{name:<44} {took * 1000:>8.1f}ms {target:>7.1f}s{mark}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
