"""One request at a time, spaced, across every client of this installation.

arXiv's terms count the API, OAI-PMH and RSS together: at most one request every
3 seconds, on one connection. A :class:`RequestGate` is held for the duration of
each request; it remembers when the last request (by any client sharing it) ended.
With a ``path`` it is a lock file, shared by every process on the machine that uses
the same data directory (``fcntl.flock``; the last end time is stored in the file);
without one it is shared by the threads of this process.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: in-process gating only
    fcntl = None  # type: ignore[assignment]


class RequestGate:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._last_end: float | None = None  # wall-clock time.time()
        self._fd: int | None = None

    def __enter__(self) -> RequestGate:
        self._lock.acquire()
        if self.path is not None and fcntl is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                raw = os.pread(self._fd, 64, 0).decode("ascii", "replace").strip()
                stored = float(raw) if raw else None
                if stored is not None and (self._last_end is None or stored > self._last_end):
                    self._last_end = stored
            except (OSError, ValueError):
                pass  # an unusable lock file degrades to in-process gating
        return self

    def wait_needed(self, interval: float) -> float:
        """Seconds to wait (while holding the gate) before the next request may start."""
        if self._last_end is None:
            return 0.0
        return max(0.0, interval - (time.time() - self._last_end))

    def mark_end(self) -> None:
        self._last_end = time.time()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._fd is not None:
                try:
                    if self._last_end is not None:
                        data = f"{self._last_end:.6f}".encode()
                        os.pwrite(self._fd, data.ljust(32), 0)
                finally:
                    if fcntl is not None:
                        fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None
        finally:
            self._lock.release()


_PROCESS_GATE = RequestGate()


def process_gate() -> RequestGate:
    """The gate every client in this process shares unless given another."""
    return _PROCESS_GATE


_FILE_GATES: dict[Path, RequestGate] = {}
_FILE_GATES_LOCK = threading.Lock()


def file_gate(path: Path) -> RequestGate:
    """The gate for a lock file (one object per path in this process)."""
    with _FILE_GATES_LOCK:
        return _FILE_GATES.setdefault(path.resolve(), RequestGate(path))
