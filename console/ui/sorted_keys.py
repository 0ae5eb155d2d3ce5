"""Sorted key lists kept in order by binary search: the queue model's and the filter
proxy's row order.

Both models hold their rows as a sorted list of keys and change it one key at a time
(a binary search and a list insert) or, for a big batch, in one splice. The list
arithmetic lives here, once, without Qt: the models only wrap a change in the
matching begin/end signals. ``plan_move`` tells them whether a changed key moves at
all and, if it does, the destination row that Qt's beginMoveRows expects.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Move:
    """A key changing in a sorted list: ``src`` is its row now, ``dest`` the row it goes
    before in the list that still holds the old key (Qt's beginMoveRows destination)."""

    src: int
    dest: int

    @property
    def in_place(self) -> bool:
        """The new key sorts between the same neighbours: no row moves."""
        return self.dest in (self.src, self.src + 1)

    @property
    def to(self) -> int:
        """The key's row after the move."""
        return self.dest - 1 if self.dest > self.src else self.dest

    def apply(self, keys: list[Any], new: Any) -> None:
        """Replace the old key at ``src`` by ``new``, keeping ``keys`` sorted."""
        if self.in_place:
            keys[self.src] = new
            return
        del keys[self.src]
        keys.insert(self.to, new)


def plan_move(keys: list[Any], old: Any, new: Any) -> Move:
    """Where ``old`` (which must be in ``keys``) is and where ``new`` would go."""
    return Move(bisect_left(keys, old), bisect_left(keys, new))


def splice(keys: list[Any], drop: list[int], add: list[Any]) -> list[Any]:
    """The sorted ``keys`` without the items at positions ``drop``, with ``add`` merged
    in: a binary search per change, and list copies in C for the rest."""
    kept: list[Any] = []
    start = 0
    for pos in sorted(drop):
        kept += keys[start:pos]
        start = pos + 1
    kept += keys[start:]
    if not add:
        return kept
    merged: list[Any] = []
    start = 0
    for key in sorted(add):
        pos = bisect_left(kept, key, start)
        merged += kept[start:pos]
        merged.append(key)
        start = pos
    merged += kept[start:]
    return merged
