"""A paper's comments as a reply tree, from the flat list the database gives.

:func:`build_thread` is pure: comments in, nodes out, nothing read or written.

- Replies follow their parent, oldest first; top-level comments are oldest first too.
- A deleted comment, or a hidden one the reader may not see, is kept as a placeholder
  ("[deleted]", "[hidden]") when it has replies left to show, so the thread keeps its
  shape; without any it is left out.
- A reply whose parent is missing from the list is shown at the top level.
- :func:`flatten` walks the tree without recursion (a chain of 10,000 replies is
  fine) and caps each node's indentation at ``max_indent``, so deep threads do not run
  off the side of a phone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

MAX_INDENT = 6

DELETED = "[deleted]"
HIDDEN = "[hidden by a moderator]"


class CommentLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def hidden(self) -> bool: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...


C = TypeVar("C", bound=CommentLike)


@dataclass
class Node(Generic[C]):
    comment: C
    children: list[Node[C]] = field(default_factory=list)
    # Text shown instead of the comment ("[deleted]"), or None when it is shown.
    placeholder: str | None = None
    depth: int = 0  # 0 for a top-level comment


@dataclass(frozen=True)
class Row(Generic[C]):
    """One comment of the flattened thread, as a page lists it."""

    node: Node[C]
    depth: int  # the real depth
    indent: int  # the depth shown (at most max_indent)
    parent: C | None  # the comment replied to, if any

    @property
    def comment(self) -> C:
        return self.node.comment

    @property
    def placeholder(self) -> str | None:
        return self.node.placeholder


def _order(comment: CommentLike) -> tuple[datetime, int]:
    return (comment.created_at, comment.id)


def build_thread(
    comments: Iterable[C], *, show_hidden: bool = False
) -> list[Node[C]]:
    """The top-level nodes of the reply tree of `comments` (any order). Hidden comments
    are shown in full only when `show_hidden` (moderators); otherwise, like deleted
    ones, they stay as placeholders while they have replies to show."""
    items = sorted(comments, key=_order)
    nodes = {c.id: Node(c) for c in items}
    roots: list[Node[C]] = []
    for comment in items:
        node = nodes[comment.id]
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    # Decide what is shown from the leaves up: a node is kept when it is visible itself
    # or keeps a child. The post-order walk is iterative (no recursion limit).
    order: list[Node[C]] = []
    stack = list(roots)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node.comment.id in seen:  # a cycle in bad data: shown once
            continue
        seen.add(node.comment.id)
        order.append(node)
        stack.extend(node.children)
    for node in reversed(order):  # children before their parents
        node.children = [
            child for child in node.children
            if child.comment.id in seen and (child.placeholder is None or child.children)
        ]
        comment = node.comment
        if comment.deleted:
            node.placeholder = DELETED
        elif comment.hidden and not show_hidden:
            node.placeholder = HIDDEN
    return [n for n in roots if n.placeholder is None or n.children]


def flatten(
    roots: Sequence[Node[C]], *, max_indent: int = MAX_INDENT
) -> list[Row[C]]:
    """The tree in reading order (each comment followed by its replies), with depths."""
    rows: list[Row[C]] = []
    stack: list[tuple[Node[C], int, C | None]] = [(n, 0, None) for n in reversed(roots)]
    while stack:
        node, depth, parent = stack.pop()
        node.depth = depth
        rows.append(Row(node, depth, min(depth, max_indent), parent))
        stack.extend((child, depth + 1, node.comment) for child in reversed(node.children))
    return rows


def visible_count(comments: Iterable[CommentLike]) -> int:
    """How many comments readers see in full (not hidden, not deleted)."""
    return sum(1 for c in comments if not c.hidden and not c.deleted)
