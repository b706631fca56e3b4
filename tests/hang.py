"""A guard against hangs, not a speed test: speed is measured by the benchmarks
(`python -m benchmarks`), where a busy machine cannot fail the suite."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")
HANG = 60.0  # seconds; far above any normal run, even on a loaded 2-core machine


def finishes(fn: Callable[[], T], seconds: float = HANG) -> T:
    """``fn()``'s result (or exception); the test fails if it is still running after
    ``seconds`` (the call is left behind in a daemon thread)."""
    outcome: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # handed to the caller below
            error.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds:g} s: a hang")
    if error:
        raise error[0]
    return outcome[0]
