"""The PostgreSQL client programs (pg_dump, pg_restore, psql): finding the newest one,
checking it can talk to the server, and the environment that connects it.

The connection goes through libpq's environment variables (PGHOST, PGPASSWORD, ...),
never the command line, so the password does not show in the process list.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from paperfeed.storage.backup_types import BackupError

SYSTEM_DIRS = "/usr/lib/postgresql/*/bin"  # Debian and Ubuntu install each version here

# URL query parameters psycopg understands -> the libpq variable that sets them.
QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


@dataclass(frozen=True)
class PgTool:
    """One client program and its version."""

    path: Path
    version: tuple[int, int]

    @property
    def major(self) -> int:
        return self.version[0]


def parse_version(text: str) -> tuple[int, int] | None:
    """``pg_dump (PostgreSQL) 15.18 (Debian ...)`` -> (15, 18); 9.6.24 -> (9, 6)."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def search_dirs(pg_bin: str) -> list[Path]:
    """Where to look: only `pg_bin` (os.pathsep-separated) when set, else PATH and then
    every /usr/lib/postgresql/VERSION/bin."""
    if pg_bin.strip():
        return [Path(p) for p in pg_bin.split(os.pathsep) if p]
    path = [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    return path + [Path(p) for p in sorted(glob.glob(SYSTEM_DIRS))]


def _version_of(program: Path) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [str(program), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version(done.stdout) if done.returncode == 0 else None


def find_tool(name: str, pg_bin: str = "") -> PgTool:
    """The newest `name` in :func:`search_dirs`, or a BackupError saying how to get one."""
    dirs = search_dirs(pg_bin)
    found: list[PgTool] = []
    for folder in dirs:
        program = shutil.which(name, path=str(folder))
        if program is None:
            continue
        version = _version_of(Path(program))
        if version is not None:
            found.append(PgTool(Path(program), version))
    if not found:
        where = f"PAPERFEED_PG_BIN={pg_bin}" if pg_bin.strip() else f"PATH and {SYSTEM_DIRS}"
        raise BackupError(
            f"{name} is not installed (looked in {where}); install the PostgreSQL client "
            "programs (Debian/Ubuntu: apt install postgresql-client) or set "
            "PAPERFEED_PG_BIN to the folder that holds them"
        )
    return max(found, key=lambda tool: tool.version)


def check_server_version(tool: PgTool, server_version_num: int) -> None:
    """pg_dump refuses a server newer than itself: say so before it starts, and how to
    fix it."""
    server_major = server_version_num // 10000 if server_version_num >= 100000 else (
        server_version_num // 100
    )
    if server_major > tool.major:
        raise BackupError(
            f"the database server runs PostgreSQL {server_major} but {tool.path} is version "
            f"{tool.major}, and it cannot read a newer server; install the client programs of "
            f"PostgreSQL {server_major} or newer (Debian/Ubuntu: postgresql-client-"
            f"{server_major}) or set PAPERFEED_PG_BIN to their folder"
        )


def libpq_env(url: URL) -> dict[str, str]:
    """This process's environment plus the connection settings of `url` for libpq."""
    env = dict(os.environ)
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    for key, value in url.query.items():
        name = QUERY_ENV.get(key)
        if name:
            values[name] = value if isinstance(value, str) else value[-1]
    env.update({key: value for key, value in values.items() if value})
    return env


def first_error(stderr: str) -> str:
    """The line of a client program's error output worth showing."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error:" in line.lower() or "fatal:" in line.lower():
            return line
    return lines[0] if lines else "(no message)"
