"""The import contract: data flows one way through paperfeed's packages.

Every ``import`` in ``src/paperfeed`` is read (top-level, inside functions and under
``TYPE_CHECKING`` alike) and checked against :data:`ALLOWED`, the table of which packages
each package may use. A package that is not in the table fails the suite until its place
in the layers is written down here (and in the README's "How it is built"). A second
check refuses import cycles between modules, so a facade and its backends (say) import
each other in one direction only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Modules every layer may use: pure helpers, the record types, settings, the version.
FOUNDATION = frozenset({"paperfeed", "ids", "text", "records", "config"})

# Package (or top-level module) of paperfeed -> the packages it may import, besides
# itself and FOUNDATION. Lower layers first; a layer never imports one below it in
# this list. Planned packages are listed so new work lands where the README says.
ALLOWED: dict[str, frozenset[str]] = {
    "ids": frozenset(),
    "text": frozenset(),
    "records": frozenset(),
    "config": frozenset(),
    # Pure parsers (bytes in, records out) and polite fetching.
    "sources": frozenset(),
    # Engine, tables, migrations, queries, saved state.
    "storage": frozenset(),
    # A paper as text for people (MathML, snippets, cards): used by every output.
    "render": frozenset({"storage"}),
    # Ranking as pure functions (trending scores): no database.
    "ranking": frozenset(),
    # Import and harvest orchestration.
    "ingest": frozenset({"sources", "storage"}),
    # Query language and the keyword/semantic backends.
    "search": frozenset({"storage", "render"}),
    # Accounts, sessions, tokens (planned).
    "accounts": frozenset({"storage"}),
    # Submissions, votes, comments, moderation (planned).
    "community": frozenset({"storage", "render", "ranking", "accounts", "ingest", "sources"}),
    # Sending mail: messages, SMTP and Maildir transports.
    "mail": frozenset({"render"}),
    # Email digests: subscriptions, composing, the outbox.
    "digest": frozenset({"storage", "render", "ranking", "search", "accounts", "mail"}),
    # The scheduled jobs: harvest, then what depends on new papers; send the digests.
    "worker": frozenset({"storage", "sources", "ingest", "search", "ranking", "community",
                         "accounts", "mail", "digest"}),
    # Feeds and BibTeX/RIS/CSL/JSONL exports (planned).
    "feeds": frozenset({"storage", "render", "ranking", "search"}),
    "export": frozenset({"storage", "render", "search"}),
    # The bundled demo database.
    "demo": frozenset({"ingest", "storage", "search", "ranking", "accounts"}),
    # Pages, the JSON APIs and their routes.
    "web": frozenset(
        {"storage", "render", "search", "ranking", "ingest", "sources", "accounts",
         "community", "mail", "digest", "feeds", "export"}
    ),
    # The command line: everything below it; nothing imports it but __main__.
    "cli": frozenset(
        {"storage", "render", "search", "ranking", "ingest", "sources", "accounts",
         "community", "mail", "digest", "feeds", "export", "demo", "web", "worker"}
    ),
    "__main__": frozenset({"cli"}),
}


def module_names(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module under `src`."""
    out: dict[str, Path] = {}
    for path in src.rglob("*.py"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(path: Path, module: str, known: dict[str, Path]) -> set[str]:
    """The modules of the project that `path` imports, resolved to known module names
    (``from a.b import c`` is ``a.b.c`` when that is a module, else ``a.b``)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(src: Path, root: str) -> dict[str, set[str]]:
    known = {m: p for m, p in module_names(src).items() if m == root or m.startswith(root + ".")}
    return {m: imports_of(p, m, known) for m, p in known.items()}


def layer_of(module: str, root: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else root


def layer_violations(graph: dict[str, set[str]], root: str,
                     allowed: dict[str, frozenset[str]]) -> list[str]:
    problems: list[str] = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module, root)
        if layer == root:
            continue
        if layer not in allowed:
            problems.append(f"{module}: package {layer!r} has no place in the import contract")
            continue
        for target in sorted(targets):
            other = layer_of(target, root)
            if other in (layer, root) or other in FOUNDATION:
                continue
            if other not in allowed[layer]:
                problems.append(f"{module} imports {target}: {layer} may not use {other}")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_import_follows_the_layers() -> None:
    graph = import_graph(SRC, "paperfeed")
    assert len(graph) > 50  # the whole package was read
    assert layer_violations(graph, "paperfeed", ALLOWED) == []


def test_no_import_cycles_between_modules() -> None:
    assert cycles(import_graph(SRC, "paperfeed")) == []


def test_foundation_modules_import_no_package() -> None:
    graph = import_graph(SRC, "paperfeed")
    for name in FOUNDATION - {"paperfeed"}:
        targets = {layer_of(t, "paperfeed") for t in graph[f"paperfeed.{name}"]}
        assert targets <= FOUNDATION, (name, targets)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A parser that writes to the database.
        ({"sources/p.py": "from pkg.storage import models\n", "storage/models.py": ""},
         "pkg.sources.p imports pkg.storage.models: sources may not use storage"),
        # A lazy import inside a function counts the same.
        ({"storage/q.py": "def f():\n    from pkg.search import s\n", "search/s.py": ""},
         "pkg.storage.q imports pkg.search.s: storage may not use search"),
        # A relative import counts the same.
        ({"search/__init__.py": "", "search/s.py": "from ..web import app\n", "web/app.py": ""},
         "pkg.search.s imports pkg.web.app: search may not use web"),
        # Only cli (and __main__) may import cli.
        ({"web/app.py": "import pkg.cli.common\n", "cli/common.py": ""},
         "pkg.web.app imports pkg.cli.common: web may not use cli"),
        # A new package must be given its place.
        ({"newthing/x.py": "import pkg.storage\n", "storage/__init__.py": ""},
         "pkg.newthing.x: package 'newthing' has no place in the import contract"),
    ],
)
def test_the_checker_reports_a_broken_layer(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    graph = import_graph(_tree(tmp_path, files), "pkg")
    assert expected in layer_violations(graph, "pkg", ALLOWED)


def test_the_checker_reports_a_cycle(tmp_path: Path) -> None:
    files = {
        "search/keyword.py": "from pkg.search import backend\n",
        "search/backend.py": "from pkg.search.keyword import Hit\n",
    }
    graph = import_graph(_tree(tmp_path, files), "pkg")
    assert cycles(graph) == [["pkg.search.backend", "pkg.search.keyword"]]
