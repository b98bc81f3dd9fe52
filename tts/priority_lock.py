"""A reentrant lock that serves urgent work first: the engine's device lock.

Requests share one device; text, BERT and vocoder work of all requests takes turns under the
engine's lock. When several threads wait, a plain lock picks any of them, so a new request's
first audio can wait behind every other stream's next chunk. :class:`PriorityLock` hands the
lock to the waiter with the lowest priority number, first come first served among equals: the
engine marks the work that a request's first audio waits for as ``URGENT``.

Priority alone only orders waiters at one moment. A new request's first audio needs the lock
several times (text and BERT, then its first render, with GPT decoding in between), and in the
gaps another stream's next render would take it. :meth:`PriorityLock.reserve` keeps the
``NORMAL`` work of threads outside a reservation out for as long as it is held: the engine
reserves from a request's start to its first audio. Work of threads inside one (several new
requests at once, or a request decoding under the lock) is never held back, so reservations
cannot wait for each other.
"""

from __future__ import annotations

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
        self._waiting: list[tuple[int, int, int]] = []  # (priority, ticket, thread) of each waiter
        self._tickets = itertools.count()
        self._reservations: list[int] = []  # the threads in reserve(): other threads' NORMAL waiters wait

    def acquire(self, priority: int = NORMAL) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            entry = (priority, next(self._tickets), me)
            self._waiting.append(entry)
            while self._owner is not None or self._next_waiter() != entry:
                self._cond.wait()
            self._waiting.remove(entry)
            self._owner, self._depth = me, 1

    def _next_waiter(self) -> tuple[int, int, int] | None:
        """The waiter that gets the lock when it is free: the lowest (priority, ticket) among
        those not held back by a reservation (NORMAL waiters of threads outside reserve())."""
        return min((w for w in self._waiting
                    if w[0] <= URGENT or not self._reservations or w[2] in self._reservations), default=None)

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

    @contextmanager
    def reserve(self) -> Iterator[None]:
        """While a thread is inside (nestable), the lock goes only to URGENT waiters and to threads
        inside reserve() themselves (at any priority): the NORMAL waiters of other threads wait.
        An owner keeps the lock and may take it again."""
        me = threading.get_ident()
        with self._cond:
            self._reservations.append(me)
        try:
            yield
        finally:
            with self._cond:
                self._reservations.remove(me)
                self._cond.notify_all()

    def __enter__(self) -> PriorityLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
