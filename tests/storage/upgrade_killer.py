"""Run `paperfeed db upgrade` and SIGKILL this very process at a chosen SQL statement.

    python -m tests.storage.upgrade_killer STATEMENTS_FILE [before|after N]

Every statement the upgrade sends is appended to STATEMENTS_FILE (one JSON string a
line, flushed) before it runs. With `before N` the process kills itself with SIGKILL
just before statement N (1-based) reaches the database, with `after N` just after it
ran (and before anything commits it): a kill -9 at an exact point, no timing involved.
Without a kill point the upgrade runs to its end (the dry run that lists the points).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from sqlalchemy import Engine, event


def main(argv: list[str]) -> None:
    log_path = argv[0]
    where, at = (argv[1], int(argv[2])) if len(argv) > 2 else ("", 0)
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 (open until the kill)
    seen = 0

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal seen
        seen += 1
        log.write(json.dumps(statement) + "\n")
        log.flush()
        if where == "before" and seen == at:
            os.kill(os.getpid(), signal.SIGKILL)

    def after(*_args: Any) -> None:
        if where == "after" and seen == at:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)

    from paperfeed.cli import app

    app(["db", "upgrade"], standalone_mode=True)


if __name__ == "__main__":
    main(sys.argv[1:])
