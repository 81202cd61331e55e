"""A memo for answers the exporters ask about every record, one format after the other.

Each export format walks the whole list in turn, so a title or a person comes back only after
every other one: a least-recently-used memo smaller than the list forgets each key just before the
next format asks (at 100 times the seed, a 65,536-entry LRU of title spans answered 32 of 350,000
questions and held 20 MB). This memo keeps the first keys it is asked about and computes later
ones afresh: a list up to its size is answered once per key, a longer one still gets the hits of
its first keys, and the memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["FirstSeen"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class FirstSeen(Generic[K, V]):
    """``compute`` remembered for the first ``limit`` keys (a race past the limit by a thread or
    two is harmless: the answers are equal)."""

    def __init__(self, compute: Callable[[K], V], limit: int) -> None:
        self.compute = compute
        self.limit = limit
        self._found: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        try:
            return self._found[key]
        except KeyError:
            pass
        value = self.compute(key)
        if len(self._found) < self.limit:
            self._found[key] = value
        return value

    def __len__(self) -> int:
        return len(self._found)

    def cache_clear(self) -> None:
        self._found.clear()
