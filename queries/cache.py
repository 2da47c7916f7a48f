"""A small in-process cache of query-layer answers (the overview's coverage and breakdown) that a change of
the data drops.

An answer is kept under the store's `cache_identity` (backend, server or data directory, graph) and what was
asked (scope, day, the viewer's own scope …), together with the store's `data_version` as read just before
it was computed, and is served again only while `data_version` still reads the same:

- FalkorDB (embedded or external): every write, clear and restore sets a new token in a Redis key beside
  the graph (`graph.falkor.DATA_VERSION_KEY`), whichever process made it, so `orggraph serve` sees an
  `orggraph load`, `restore` or `demo` run in another process on its very next request. Checking costs one
  GET. The token is read before computing: a change made while an answer is computed leaves that answer
  under the old token, which the next request, reading the new one, passes over.
- A store without a data_version (Neo4j, where no cheap token moves with every client's writes): answers are
  kept TTL_NO_VERSION seconds. A store without a cache_identity (a test double) is not cached at all.
- Every answer is dropped after MAX_AGE seconds whatever the token says, for writes made around orggraph
  (another client of an external FalkorDB server).

Pages that show a cached answer say when it was computed (`Cached.computed_at`). Answers are shared between
callers: treat them as read-only.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from orggraph.graph.store import Store

__all__ = ["Cached", "MAX_AGE", "MAX_ENTRIES", "TTL_NO_VERSION", "cached", "clear"]

T = TypeVar("T")

TTL_NO_VERSION = 60.0  # seconds an answer of a store without data_version is kept
MAX_AGE = 600.0  # seconds any answer is kept at most
MAX_ENTRIES = 256  # least recently used answers are dropped beyond this


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    computed_at: _dt.datetime  # local time the value was computed (now, when it was not cached)
    hit: bool  # served from the cache


@dataclass(frozen=True)
class _Entry:
    version: str | None
    born: float  # time.monotonic() when computed
    answer: Cached[Any]


_lock = threading.Lock()
_entries: OrderedDict[tuple[Hashable, ...], _Entry] = OrderedDict()


def cached(
    store: Store, key: tuple[Hashable, ...], compute: Callable[[], T], *, versioned_only: bool = False
) -> Cached[T]:
    """`compute()`, or the answer it gave before for the same store, `key` and data (see the module).

    `versioned_only`: cache only on a store with a data_version (never by age alone), for answers that other
    fresh answers must agree with (an uncovered list's total and its pages).
    """
    identity = store.cache_identity
    if identity is None:
        return Cached(compute(), _dt.datetime.now().astimezone(), hit=False)
    version = store.data_version()
    if version is None and versioned_only:
        return Cached(compute(), _dt.datetime.now().astimezone(), hit=False)
    full = (identity, *key)
    now = time.monotonic()
    with _lock:
        entry = _entries.get(full)
        if entry is not None:
            max_age = MAX_AGE if version is not None else min(MAX_AGE, TTL_NO_VERSION)
            if entry.version == version and now - entry.born < max_age:
                _entries.move_to_end(full)
                return Cached(entry.answer.value, entry.answer.computed_at, hit=True)
            del _entries[full]
    # Computed outside the lock: two first requests for one key may both compute; neither waits on the other.
    answer = Cached(compute(), _dt.datetime.now().astimezone(), hit=False)
    with _lock:
        _entries[full] = _Entry(version, now, answer)
        _entries.move_to_end(full)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return answer


def clear() -> None:
    """Forget every cached answer (tests, benchmarks)."""
    with _lock:
        _entries.clear()
