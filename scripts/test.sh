#!/usr/bin/env bash
# What `make test` runs after the virtual environment exists and `make lint` (ruff,
# mypy) has passed: system packages, axe-core from npm (scripts/axe.py), a PostgreSQL
# server on loopback, then the whole suite on SQLite and PostgreSQL
# (PAPERFEED_REQUIRE_PG=1 turns a missing server or browser tool into a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

bash scripts/system-deps.sh
"$VENV/bin/python" scripts/axe.py  # axe-core for the accessibility tests (build/axe/)
PAPERFEED_TEST_PG_URL="$(bash scripts/pg.sh start)"
export PAPERFEED_TEST_PG_URL PAPERFEED_REQUIRE_PG=1
trap 'bash scripts/pg.sh stop' EXIT
# A second server with pgvector (pgserver's bundled PostgreSQL 16 + pgvector 0.6) for the
# semantic search that lives in the database.
PGVECTOR_BIN="$("$VENV/bin/python" -c 'import importlib.util as u, pathlib, sys
spec = u.find_spec("pgserver")
if spec is None or not spec.submodule_search_locations:
    sys.exit("error: pgserver is not installed (pip install -e .[dev])")
print(pathlib.Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")')"
PGVECTOR_PORT=54330
PAPERFEED_TEST_PGVECTOR_URL="$(PAPERFEED_TEST_PG_PORT=$PGVECTOR_PORT \
  PAPERFEED_TEST_PG_BIN="$PGVECTOR_BIN" bash scripts/pg.sh start)"
export PAPERFEED_TEST_PGVECTOR_URL
trap 'bash scripts/pg.sh stop; PAPERFEED_TEST_PG_PORT=$PGVECTOR_PORT \
  PAPERFEED_TEST_PG_BIN="$PGVECTOR_BIN" bash scripts/pg.sh stop' EXIT

echo "== pytest"
"$VENV/bin/pytest" -n "${PYTEST_WORKERS:-2}" "$@"
