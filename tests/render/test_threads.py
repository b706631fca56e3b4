"""The reply tree: order, placeholders that keep a thread's shape, capped indentation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from paperfeed.render.threads import (
    DELETED,
    HIDDEN,
    build_thread,
    flatten,
    visible_count,
)

T0 = datetime(2025, 1, 1, 12, 0)  # noqa: DTZ001 - naive UTC, as the database stores times


@dataclass
class C:
    id: int
    parent_id: int | None = None
    hidden: bool = False
    deleted: bool = False
    minute: int = 0

    @property
    def created_at(self) -> datetime:
        return T0 + timedelta(minutes=self.minute)


def _shape(comments: list[C], **kw: bool) -> list[tuple[int, int, str | None]]:
    return [(r.comment.id, r.depth, r.placeholder) for r in flatten(build_thread(comments, **kw))]


def test_replies_follow_their_parent_oldest_first() -> None:
    comments = [C(4, 1, minute=4), C(1, minute=1), C(2, minute=2), C(3, 1, minute=3),
                C(5, 3, minute=5)]
    assert _shape(comments) == [(1, 0, None), (3, 1, None), (5, 2, None), (4, 1, None),
                                (2, 0, None)]


def test_deleted_with_replies_is_a_placeholder_and_leaves_go() -> None:
    comments = [C(1, deleted=True), C(2, 1, minute=1), C(3, deleted=True, minute=2),
                C(4, minute=3), C(5, 4, deleted=True, minute=4)]
    assert _shape(comments) == [(1, 0, DELETED), (2, 1, None), (4, 0, None)]


def test_a_chain_of_deleted_comments_keeps_a_live_reply_in_place() -> None:
    comments = [C(1, deleted=True), C(2, 1, deleted=True, minute=1), C(3, 2, minute=2)]
    assert _shape(comments) == [(1, 0, DELETED), (2, 1, DELETED), (3, 2, None)]
    gone = [C(1, deleted=True), C(2, 1, deleted=True, minute=1), C(3, 2, hidden=True)]
    assert _shape(gone) == []


def test_hidden_comments_for_readers_and_for_moderators() -> None:
    comments = [C(1, hidden=True), C(2, 1, minute=1), C(3, hidden=True, minute=2)]
    assert _shape(comments) == [(1, 0, HIDDEN), (2, 1, None)]
    assert _shape(comments, show_hidden=True) == [(1, 0, None), (2, 1, None), (3, 0, None)]
    assert visible_count(comments) == 1


def test_reply_to_a_missing_parent_is_shown_at_the_top() -> None:
    assert _shape([C(2, 99), C(1, minute=1)]) == [(2, 0, None), (1, 0, None)]


def test_deep_chains_flatten_without_recursion_and_indent_is_capped() -> None:
    chain = [C(1)] + [C(i, i - 1, minute=i) for i in range(2, 5001)]
    rows = flatten(build_thread(chain), max_indent=6)
    assert [r.comment.id for r in rows] == list(range(1, 5001))
    assert rows[-1].depth == 4999 and rows[-1].indent == 6
    assert rows[3].indent == 3
    assert rows[-1].parent is not None and rows[-1].parent.id == 4999
