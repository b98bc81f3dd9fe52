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


def test_a_reservation_holds_back_other_threads_normal_work_only():
    lock = PriorityLock()
    order: list[str] = []
    reserved, go_on = threading.Event(), threading.Event()

    def first_audio():  # a new request: reserves, then takes the lock at NORMAL and URGENT itself
        with lock.reserve():
            reserved.set()
            go_on.wait()
            with lock:
                order.append("own normal")
            with lock.hold(URGENT):
                order.append("own urgent")
            order.append("reservation ends")

    def take(name, priority):
        with lock.hold(priority):
            order.append(name)

    owner = threading.Thread(target=first_audio)
    owner.start()
    reserved.wait()
    lock.acquire(URGENT)  # the lock is busy while the others queue up
    others = [threading.Thread(target=take, args=("other normal", NORMAL)),
              threading.Thread(target=take, args=("other urgent", URGENT))]
    for t in others:
        t.start()
    while len(lock._waiting) < 2:
        time.sleep(0.001)
    go_on.set()  # the reserving thread's NORMAL waiter queues behind the other one
    while len(lock._waiting) < 3:
        time.sleep(0.001)
    lock.release()
    owner.join()
    for t in others:
        t.join()
    assert order == ["other urgent", "own normal", "own urgent", "reservation ends", "other normal"]


def test_threads_inside_reservations_never_wait_for_each_other():
    """Two new requests at once, each reserving and then taking the lock at NORMAL (as a request
    decoding under the lock does): both get it."""
    lock = PriorityLock()
    order: list[str] = []
    both_reserved = threading.Barrier(2)

    def request(name):
        with lock.reserve():
            both_reserved.wait()
            with lock:
                order.append(name)

    lock.acquire(URGENT)
    threads = []
    for name in ("a", "b"):
        threads.append(threading.Thread(target=request, args=(name,), daemon=True))
        threads[-1].start()
    while len(lock._waiting) < 2:
        time.sleep(0.001)
    lock.release()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert sorted(order) == ["a", "b"]
