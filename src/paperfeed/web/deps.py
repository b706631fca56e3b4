"""Typed dependencies for route handlers: the settings and a read session per request.

A request reads through one database session: :func:`get_session` (``SessionDep``)
keeps it on ``request.state`` and :func:`read_session` hands the same one to code that
needs to read later in the request (who is signed in, a vote state), so a request never
waits for a second pooled connection while holding one (many requests doing that at
once would empty the pool and stall every one of them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from paperfeed.config import Settings


async def get_settings(request: Request) -> Settings:  # async: no thread-pool trip
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    # Async so that opening and closing run on the event loop, not as two more trips
    # through the thread pool: a Session connects only when first used (in the route's
    # thread), and closing it returns the connection to the pool.
    with request.app.state.sessions() as session:
        request.state.db = session
        try:
            yield session
        finally:
            request.state.db = None


@contextmanager
def read_session(request: Request) -> Iterator[Session]:
    """The request's read session when it has one open, else a new one for the block
    (closed in the thread that ran the block, not on the event loop)."""
    current: Session | None = getattr(request.state, "db", None)
    if current is not None:
        yield current
        return
    with request.app.state.sessions() as session:
        request.state.db = session  # what the block calls reads through it too
        try:
            yield session
        finally:
            request.state.db = None


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
