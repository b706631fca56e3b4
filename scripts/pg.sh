#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server on loopback for the tests.
#   scripts/pg.sh start   -> prints the SQLAlchemy URL on stdout
#   scripts/pg.sh stop
# PostgreSQL refuses to run as root, so as root the server runs as the user
# "paperfeed-pg" (created when missing). Data lives under /tmp; nothing is durable.
set -euo pipefail

PORT="${PAPERFEED_TEST_PG_PORT:-54329}"
DIR="${PAPERFEED_TEST_PG_DIR:-/tmp/paperfeed-test-pg-$PORT}"
# PAPERFEED_TEST_PG_BIN picks other server binaries (scripts/test.sh runs a second server,
# pgserver's bundled PostgreSQL 16 with pgvector, on port 54330 this way).
PGBIN="${PAPERFEED_TEST_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -n "$PGBIN" ] || { echo "error: PostgreSQL server binaries not found (run scripts/system-deps.sh)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id paperfeed-pg >/dev/null 2>&1 || useradd -M -r -s /bin/sh paperfeed-pg
    chown -R paperfeed-pg "$DIR"
    runuser -u paperfeed-pg -- "$@"
  else
    "$@"
  fi
}

case "${1:-start}" in
  start)
    mkdir -p "$DIR/sock"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync -E UTF8 \
        --locale=C >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR/sock -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    fi
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    [ -d "$DIR/data" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
