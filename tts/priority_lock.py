"""A reentrant lock that serves urgent work first: the engine's device lock.

Requests share one device; text, BERT and vocoder work of all requests takes turns under the
engine's lock. When several threads wait, a plain lock picks any of them, so a new request's
first audio can wait behind every other stream's next chunk. :class:`PriorityLock` hands the
lock to the waiter with the lowest priority number, first come first served among equals: the
engine marks the work that a request's first audio waits for as ``URGENT``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

URGENT = 0  # work a request's first audio waits for
NORMAL = 1  # everything else


class PriorityLock:
    """Reentrant; ``with lock:`` takes it at NORMAL priority, ``with lock.hold(URGENT):`` at another."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._waiting: list[tuple[int, int]] = []  # heap of (priority, ticket)
        self._tickets = itertools.count()

    def acquire(self, priority: int = NORMAL) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            entry = (priority, next(self._tickets))
            heapq.heappush(self._waiting, entry)
            while self._owner is not None or self._waiting[0] != entry:
                self._cond.wait()
            heapq.heappop(self._waiting)
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a PriorityLock this thread does not hold")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    @contextmanager
    def hold(self, priority: int = NORMAL) -> Iterator[None]:
        self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    def __enter__(self) -> PriorityLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
