#!/usr/bin/env bash
# What `make test` runs after the virtual environment exists: system packages,
# a PostgreSQL server on loopback, lint, type check, then the whole suite on
# SQLite and PostgreSQL (PAPERFEED_REQUIRE_PG=1 turns a missing server into a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

bash scripts/system-deps.sh
PAPERFEED_TEST_PG_URL="$(bash scripts/pg.sh start)"
export PAPERFEED_TEST_PG_URL PAPERFEED_REQUIRE_PG=1
trap 'bash scripts/pg.sh stop' EXIT

echo "== ruff"
"$VENV/bin/ruff" check src tests benchmarks
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/pytest" -n "${PYTEST_WORKERS:-2}" "$@"
