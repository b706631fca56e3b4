"""What `paperfeed db backup` and `db restore` report, the one error they raise, and
the checks both engines share (is the backup's schema revision one this code knows?)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line a user can act on.
    Whatever raised it left the database and any existing backup file as they were."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup file holds (or what a restore put into the database)."""

    path: Path
    size: int
    papers: int
    users: int
    revision: str


def check_revision(path: Path, revision: str | None, known: list[str]) -> str:
    """The backup's schema revision, if this code can use it; else a BackupError."""
    if not revision:
        raise BackupError(f"{path} holds no paperfeed schema (its alembic_version is empty)")
    if revision not in known:
        raise BackupError(
            f"{path} is at schema revision {revision}, which this paperfeed does not know "
            f"(it knows {known[0]} to {known[-1]}): it was made by a newer paperfeed; "
            "upgrade paperfeed, then restore"
        )
    return revision


def partial_path(dest: Path) -> Path:
    """Where a backup is written until it is complete: FILE.partial beside FILE."""
    return dest.with_name(dest.name + ".partial")


def check_destination(dest: Path, *, overwrite: bool) -> None:
    """Refuse a backup FILE that exists (unless `overwrite`) or whose folder does not."""
    if dest.is_dir():
        raise BackupError(f"{dest} is a directory; name the backup file")
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} already exists; choose another name or pass --force")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} does not exist")


def publish(partial: Path, dest: Path) -> None:
    """Make a complete backup visible under its name: flush it to disk, then rename it
    over `dest` in one step (a crash leaves either the old FILE or the new one)."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, dest)
    try:
        dir_fd = os.open(dest.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
