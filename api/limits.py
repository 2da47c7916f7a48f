"""Concurrency limits of the expensive routes: ad-hoc Cypher (`POST /api/cypher`) and the heavy analyses
(`GET /api/analytics`). Each has a number of slots for everyone (`ORGGRAPH_CYPHER_SLOTS`,
`ORGGRAPH_HEAVY_SLOTS`) and per token (`ORGGRAPH_SLOTS_PER_TOKEN`). A request that finds them full is answered
429 at once, with `Retry-After` and a Chinese message, instead of waiting: waiting requests would hold the
server's worker threads (and the database's) that every other user's coverage, health and pages need.

The slot is taken on the event loop, before the route is given a worker thread, and freed when the route is
done (also when it fails)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from orggraph.api.auth import User
from orggraph.api.deps import get_user
from orggraph.graph.store import QueryTimeout

# Seconds a slot stays taken after its query was cut only on our side (FalkorDB went on building a 300-million
# element list for about a minute past a 3 s limit).
STILL_RUNNING_HOLD = 60.0

__all__ = ["STILL_RUNNING_HOLD", "Gate", "CypherSlot", "HeavySlot", "gates_for", "gates_of"]


class Gate:
    """At most `total` holders, and at most `per_key` per key; `enter` never waits."""

    def __init__(self, what: str, total: int, per_key: int, retry_after: int) -> None:
        self.what = what  # Chinese, e.g. "临时 Cypher 查询"
        self.total = total
        self.per_key = per_key
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()
        self.refused = 0

    @property
    def running(self) -> int:
        return sum(self._held.values())

    def enter(self, key: str) -> None:
        """Take a slot for `key`, or raise the 429 that says which limit is full."""
        with self._lock:
            if self._held[key] >= self.per_key:
                self.refused += 1
                raise self._full(
                    f"您的令牌已有 {self._held[key]} 个{self.what}在运行（每个令牌最多 {self.per_key} 个）"
                )
            if sum(self._held.values()) >= self.total:
                self.refused += 1
                raise self._full(f"服务器上同时运行的{self.what}已达上限（{self.total} 个）")
            self._held[key] += 1

    def leave(self, key: str) -> None:
        with self._lock:
            self._held[key] -= 1
            if self._held[key] <= 0:
                del self._held[key]

    def _full(self, why: str) -> HTTPException:
        return HTTPException(
            429,
            f"{why}。请等前一个完成后，约 {self.retry_after} 秒后重试；"
            "需要长时间运行的分析请缩小范围（加 LIMIT、限定编码）。",
            headers={"Retry-After": str(self.retry_after)},
        )


def gates_of(request: Request) -> dict[str, Gate]:
    """The app's gates (made on first use from its settings)."""
    return gates_for(request.app.state.orggraph)


def gates_for(state: Any) -> dict[str, Gate]:
    """The gates kept on an AppState."""
    gates: dict[str, Gate] | None = getattr(state, "gates", None)
    if gates is None:
        s = state.settings
        retry = max(1, min(60, round(s.query_timeout / 2)))
        gates = {
            "cypher": Gate("临时 Cypher 查询", s.cypher_slots, s.slots_per_token, retry),
            "heavy": Gate("网络分析", s.heavy_slots, s.slots_per_token, retry),
        }
        state.gates = gates
    return gates


def _slot(name: str) -> Callable[..., Any]:
    async def dep(request: Request, user: Annotated[User, Depends(get_user)]) -> AsyncIterator[User]:
        gate = gates_of(request)[name]
        key = user.name or user.role.value
        gate.enter(key)
        hold = 0.0
        try:
            yield user
        except QueryTimeout as e:
            # The store did not stop the query at its limit and is still working on it: the slot stays taken
            # a while longer, so resending it cannot pile up runaway queries in the store.
            hold = STILL_RUNNING_HOLD if e.still_running else 0.0
            raise
        finally:
            if hold:
                timer = threading.Timer(hold, gate.leave, (key,))
                timer.daemon = True
                timer.start()
            else:
                gate.leave(key)

    dep.__name__ = f"{name}_slot"
    return dep


CypherSlot = Annotated[User, Depends(_slot("cypher"))]
HeavySlot = Annotated[User, Depends(_slot("heavy"))]
