"""The engine's device lock: urgent waiters first, then first come first served; reentrant."""

from __future__ import annotations

import threading
import time

import pytest

from tts.priority_lock import NORMAL, URGENT, PriorityLock


def waiter_order(arrivals: list[tuple[str, int]]) -> list[str]:
    """Threads queue up (in ``arrivals`` order) while the lock is held; the order they get it."""
    lock = PriorityLock()
    order: list[str] = []
    lock.acquire()
    threads = []
    for name, priority in arrivals:
        def take(name=name, priority=priority):
            with lock.hold(priority):
                order.append(name)

        t = threading.Thread(target=take)
        t.start()
        threads.append(t)
        while len(lock._waiting) < len(threads):  # this one is queued before the next arrives
            time.sleep(0.001)
    lock.release()
    for t in threads:
        t.join()
    return order


def test_urgent_waiters_go_first_then_arrival_order():
    arrivals = [("n1", NORMAL), ("n2", NORMAL), ("u1", URGENT), ("n3", NORMAL), ("u2", URGENT)]
    assert waiter_order(arrivals) == ["u1", "u2", "n1", "n2", "n3"]


def test_equal_priorities_are_first_come_first_served():
    assert waiter_order([(f"t{i}", NORMAL) for i in range(6)]) == [f"t{i}" for i in range(6)]


def test_reentrant_and_exclusive():
    lock = PriorityLock()
    inside = []
    with lock:
        with lock.hold(URGENT):  # the owner takes it again without waiting
            inside.append(1)
        other = threading.Thread(target=lambda: lock.acquire() or inside.append(2) or lock.release())
        other.start()
        other.join(0.05)
        assert other.is_alive() and inside == [1]  # still held by this thread
    other.join()
    assert inside == [1, 2]


def test_release_by_a_thread_that_does_not_hold_it_is_an_error():
    lock = PriorityLock()
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()
