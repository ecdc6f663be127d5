"""The compiled ring: the contract, its reject twins, and concurrency.

Most tests run on the public face, :class:`pouw.queue.RingBuffer`: a subclass of
the kernel ``pouw._native.ring.RingBuffer`` whose methods are the kernel's own and
that only names pouw's errors; the kernel's built-in errors are tested at the end.

Wall-clock assertions only bound waits from below (a wait did happen); upper
bounds are generous so a loaded CI machine cannot fail them.
"""

from __future__ import annotations

import _thread
import collections
import gc
import math
import sys
import threading
import time
import types
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouw._native import ring as kernel
from pouw.errors import PouwError, QueueClosed, QueueFull
from pouw.queue import RingBuffer


class Token:
    """A weak-referenceable item with an identity."""

    def __init__(self, n: int = 0) -> None:
        self.n = n


def full_ring(*items):
    """A ring of capacity 2 holding two items (1 and 2 unless given)."""
    rb = RingBuffer(2)
    assert rb.push_many(items or (1, 2)) == 2
    return rb


class Worker(threading.Thread):
    """A daemon thread that keeps the exception its target raised, if any."""

    def __init__(self, target, *args) -> None:
        super().__init__(daemon=True)
        self.work, self.args, self.error = target, args, None

    def run(self) -> None:
        try:
            self.work(*self.args)
        except BaseException as exc:  # re-raised by finish()
            self.error = exc

    def finish(self, timeout: float = 60.0) -> None:
        self.join(timeout)
        assert not self.is_alive(), "thread still blocked"
        if self.error is not None:
            raise self.error


def run_thread(target, *args):
    t = Worker(target, *args)
    t.start()
    return t


# ---- construction ---------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "real"),
    [(1, 2), (2, 2), (3, 4), (5, 8), (64, 64), (1000, 1024), (1025, 2048)],
)
def test_capacity_is_rounded_up_to_a_power_of_two(requested, real):
    rb = RingBuffer(requested)
    assert rb.capacity == real
    assert len(rb) == 0


def test_capacity_accepts_index_like_integers():
    class Four:
        def __index__(self) -> int:
            return 4

    assert RingBuffer(Four()).capacity == 4


@pytest.mark.parametrize("bad", [0, -1, -(2**70), 2**30 + 1, 2**70, 2.0, 2.5, "4", None, True])
def test_capacity_rejects_non_positive_huge_or_non_integers(bad):
    with pytest.raises(ValueError):
        RingBuffer(bad)


def test_is_the_compiled_class_with_its_own_methods_and_final():
    assert RingBuffer.__module__ == "pouw.queue.ring"
    assert RingBuffer.__mro__[1] is kernel.RingBuffer
    for name in ("try_push", "try_pop", "push_many", "pop_many", "push", "pop", "close"):
        method = getattr(RingBuffer, name)
        assert method is getattr(kernel.RingBuffer, name), name  # no Python wrapper
        assert not isinstance(method, types.FunctionType)
    assert RingBuffer.__slots__ == ()  # no per-instance dict
    with pytest.raises(TypeError):
        type("Sub", (RingBuffer,), {})


def test_generic_alias_for_annotations():
    alias = RingBuffer[int]
    assert alias.__origin__ is RingBuffer
    assert alias.__args__ == (int,)


def test_repr_names_capacity_and_length():
    rb = RingBuffer(4)
    rb.try_push(1)
    assert repr(rb) == "RingBuffer(capacity=4, len=1, closed=False)"


# ---- single-threaded behaviour --------------------------------------------


def test_fifo_order_across_many_laps():
    rb = RingBuffer(8)
    expected = collections.deque()
    n = 0
    for step in range(1000):
        for _ in range(step % 7):
            if rb.try_push(n):
                expected.append(n)
            n += 1
        for _ in range(step % 5):
            got = rb.try_pop()
            assert got == (expected.popleft() if expected else None)
        assert len(rb) == len(expected)


def test_full_and_empty_edges():
    rb = RingBuffer(4)
    assert rb.try_pop() is None
    assert [rb.try_push(i) for i in range(5)] == [True, True, True, True, False]
    assert len(rb) == 4
    assert [rb.try_pop() for _ in range(5)] == [0, 1, 2, 3, None]
    assert len(rb) == 0


def test_smallest_ring():
    rb = RingBuffer(1)  # rounded up to 2: one slot cannot tell "full" from "free"
    assert rb.try_push("a")
    assert rb.try_push("b")
    assert not rb.try_push("c")
    assert rb.try_pop() == "a"
    assert rb.try_push("c")
    assert [rb.pop(), rb.pop(), rb.try_pop()] == ["b", "c", None]


def test_carries_any_object_by_identity():
    rb = RingBuffer(16)
    items = [0, False, "", (), [], Token(), b"x", 3.5, Ellipsis]
    for item in items:
        assert rb.try_push(item)
    for item in items:
        assert rb.try_pop() is item


def test_none_is_rejected_by_every_push():
    rb = RingBuffer(4)
    with pytest.raises(TypeError):
        rb.try_push(None)
    with pytest.raises(TypeError):
        rb.push(None)
    with pytest.raises(TypeError):
        rb.push(None, timeout=0)
    with pytest.raises(TypeError):
        rb.push_many([1, None, 2])
    assert len(rb) == 0  # push_many stored nothing


def test_push_many_pushes_what_fits_in_order():
    rb = RingBuffer(4)
    assert rb.push_many([1, 2, 3]) == 3
    assert rb.push_many((4, 5, 6)) == 1
    assert rb.push_many([7]) == 0
    assert rb.pop_many(10) == [1, 2, 3, 4]


def test_push_many_reads_other_iterables_to_the_end():
    rb = RingBuffer(4)
    consumed = []

    def gen():
        for i in range(10):
            consumed.append(i)
            yield i

    assert rb.push_many(gen()) == 4
    assert consumed == list(range(10))  # documented: read fully first
    assert rb.pop_many(10) == [0, 1, 2, 3]
    assert rb.push_many(range(3)) == 3
    assert rb.push_many([]) == 0


def test_push_many_rejects_non_iterables():
    rb = RingBuffer(4)
    with pytest.raises(TypeError):
        rb.push_many(5)


def test_pop_many_returns_at_most_max_items_available():
    rb = RingBuffer(8)
    rb.push_many(range(6))
    assert rb.pop_many(0) == []
    assert rb.pop_many(4) == [0, 1, 2, 3]
    assert rb.pop_many(100) == [4, 5]
    assert rb.pop_many(100) == []


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_pop_many_rejects_bad_max_items(bad):
    rb = RingBuffer(4)
    rb.try_push(1)
    with pytest.raises(ValueError):
        rb.pop_many(bad)
    assert len(rb) == 1  # nothing taken


def test_pop_many_without_timeout_does_not_wait():
    rb = RingBuffer(4)
    start = time.monotonic()
    assert rb.pop_many(4) == []
    assert time.monotonic() - start < 1.0


def test_pop_many_with_timeout_waits_for_the_first_item_then_takes_the_rest():
    rb = RingBuffer(8)

    def feed():
        time.sleep(0.1)
        rb.push_many([1, 2, 3])

    t = run_thread(feed)
    start = time.monotonic()
    got = rb.pop_many(8, timeout=5.0)
    elapsed = time.monotonic() - start
    t.finish()
    got += rb.pop_many(8)  # a race may split the batch; nothing is lost
    assert got == [1, 2, 3]
    assert elapsed >= 0.05


def test_pop_many_with_timeout_returns_empty_when_it_passes():
    rb = RingBuffer(4)
    start = time.monotonic()
    assert rb.pop_many(4, timeout=0.05) == []
    assert time.monotonic() - start >= 0.04


# ---- timeouts and blocking ------------------------------------------------


def test_pop_timeout_returns_none_after_waiting():
    rb = RingBuffer(4)
    start = time.monotonic()
    assert rb.pop(timeout=0.05) is None
    assert time.monotonic() - start >= 0.04
    assert rb.pop(timeout=0) is None


def test_pop_returns_at_once_when_an_item_is_there():
    rb = RingBuffer(4)
    rb.try_push("x")
    assert rb.pop(timeout=0) == "x"


def test_push_timeout_raises_queue_full_after_waiting():
    rb = RingBuffer(2)
    rb.push(1)
    rb.push(2)
    start = time.monotonic()
    with pytest.raises(QueueFull):
        rb.push(3, timeout=0.05)
    assert time.monotonic() - start >= 0.04
    with pytest.raises(QueueFull):
        rb.push(3, timeout=0)
    assert issubclass(QueueFull, PouwError)
    assert rb.pop_many(4) == [1, 2]


@pytest.mark.parametrize("bad", [-0.1, -1, math.nan])
def test_negative_or_nan_timeouts_are_rejected(bad):
    rb = RingBuffer(4)
    with pytest.raises(ValueError):
        rb.pop(timeout=bad)
    with pytest.raises(ValueError):
        rb.push(1, timeout=bad)
    with pytest.raises(ValueError):
        rb.pop_many(1, timeout=bad)
    assert len(rb) == 0


def test_infinite_timeout_means_no_limit():
    rb = RingBuffer(4)
    t = run_thread(lambda: (time.sleep(0.05), rb.push("late")))
    assert rb.pop(timeout=math.inf) == "late"
    t.finish()


def test_pop_blocks_until_an_item_arrives():
    rb = RingBuffer(4)
    t = run_thread(lambda: (time.sleep(0.1), rb.push("hello")))
    start = time.monotonic()
    assert rb.pop() == "hello"
    assert time.monotonic() - start >= 0.05
    t.finish()


def test_push_blocks_until_there_is_room():
    rb = full_ring("first", "middle")
    popped = []
    t = run_thread(lambda: (time.sleep(0.1), popped.append(rb.pop())))
    start = time.monotonic()
    rb.push("second", timeout=10)
    assert time.monotonic() - start >= 0.05
    t.finish()
    assert popped == ["first"]
    assert rb.pop_many(2) == ["middle", "second"]


def test_idle_consumer_does_not_burn_a_core():
    rb = RingBuffer(4)
    result = {}

    def idle():
        cpu0, wall0 = time.thread_time(), time.monotonic()
        result["item"] = rb.pop(timeout=1.0)
        result["cpu"] = time.thread_time() - cpu0
        result["wall"] = time.monotonic() - wall0

    run_thread(idle).finish()
    assert result["item"] is None
    assert result["wall"] >= 0.9
    assert result["cpu"] < 0.3


def test_idle_producer_on_a_full_ring_does_not_burn_a_core():
    rb = full_ring()
    result = {}

    def idle():
        cpu0 = time.thread_time()
        with pytest.raises(QueueFull):
            rb.push(1, timeout=1.0)
        result["cpu"] = time.thread_time() - cpu0

    run_thread(idle).finish()
    assert result["cpu"] < 0.3


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_blocked_pop_and_push_are_interruptible():
    rb = RingBuffer(2)
    item = Token()
    for blocked in (lambda: rb.pop(), lambda: rb.push(item)):
        timer = threading.Timer(0.1, _thread.interrupt_main)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            blocked()
            time.sleep(5)  # not reached unless the call returned early
        timer.join()
        rb.push_many([Token(), Token()])  # fill for the push case
    assert sys.getrefcount(item) == 2  # the interrupted push kept no reference


# ---- close ----------------------------------------------------------------


def test_close_rejects_pushes_and_drains_pops():
    rb = RingBuffer(4)
    rb.push_many([1, 2, 3])
    assert not rb.closed
    rb.close()
    rb.close()  # idempotent
    assert rb.closed
    for push in (rb.try_push, rb.push, lambda x: rb.push_many([x])):
        with pytest.raises(QueueClosed, match="closed"):
            push(9)
    assert rb.pop() == 1
    assert rb.pop_many(1) == [2]
    assert rb.try_pop() == 3
    start = time.monotonic()
    assert rb.pop(timeout=10) is None
    assert rb.pop() is None
    assert rb.pop_many(4, timeout=10) == []
    assert time.monotonic() - start < 5


def test_close_wakes_blocked_consumers_and_producers():
    empty, full = RingBuffer(2), full_ring("x", "x")
    outcomes = []
    lock = threading.Lock()

    def consumer():
        got = empty.pop()
        with lock:
            outcomes.append(("pop", got))

    def producer():
        try:
            full.push("y")
        except QueueClosed:
            with lock:
                outcomes.append(("push", "QueueClosed"))

    threads = [run_thread(consumer) for _ in range(3)] + [run_thread(producer) for _ in range(2)]
    time.sleep(0.1)
    empty.close()
    full.close()
    for t in threads:
        t.finish(timeout=10)
    assert sorted(outcomes) == [("pop", None)] * 3 + [("push", "QueueClosed")] * 2
    assert full.pop_many(4) == ["x", "x"]


# ---- references -------------------------------------------------------------


def test_push_holds_one_reference_and_pop_hands_it_back():
    rb = RingBuffer(2)
    item = Token()
    base = sys.getrefcount(item)
    rb.try_push(item)
    assert sys.getrefcount(item) == base + 1
    rb.try_push(item)
    assert not rb.try_push(item)  # full: no reference kept
    with pytest.raises(QueueFull):
        rb.push(item, timeout=0.01)
    assert rb.push_many([item, item]) == 0
    assert sys.getrefcount(item) == base + 2
    got = rb.try_pop()
    del got
    assert sys.getrefcount(item) == base + 1
    assert rb.pop_many(4) == [item]
    assert sys.getrefcount(item) == base


def test_refcounts_are_stable_over_many_operations():
    rb = RingBuffer(16)
    item = Token()
    base = sys.getrefcount(item)
    for _ in range(1000):
        rb.push_many([item] * 20)
        rb.try_push(item)
        rb.pop()
        rb.pop_many(7)
        rb.try_pop()
    rb.pop_many(16)
    assert sys.getrefcount(item) == base


def test_items_left_in_the_ring_are_released_with_it():
    rb = RingBuffer(8)
    items = [Token(i) for i in range(6)]
    refs = [weakref.ref(t) for t in items]
    rb.push_many(items)
    rb.try_pop()
    del items
    gc.collect()
    assert sum(r() is not None for r in refs) == 5
    del rb
    gc.collect()
    assert all(r() is None for r in refs)


# ---- concurrency -------------------------------------------------------------


@pytest.mark.parametrize("capacity", [64, 4096])
def test_many_producers_many_consumers_deliver_each_item_exactly_once(capacity):
    producers, consumers, total = 4, 4, 200_000
    rb = RingBuffer(capacity)
    stop = object()
    received = [[] for _ in range(consumers)]

    def produce(k):
        items = list(range(k, total, producers))
        i = 0
        while i < len(items):
            if i % 3 == 0:  # mix single and batch pushes
                batch = items[i : i + 50]
                n = rb.push_many(batch)
                if n == 0:
                    rb.push(batch[0])
                    n = 1
                i += n
            else:
                rb.push(items[i])
                i += 1

    def consume(k):
        out = received[k]
        while True:
            batch = rb.pop_many(32, timeout=10) if k % 2 else [rb.pop(timeout=10)]
            assert batch and None not in batch, "consumer starved"
            for i, x in enumerate(batch):
                if x is stop:  # hand the other consumers their stops back
                    assert all(y is stop for y in batch[i + 1 :])
                    for _ in batch[i + 1 :]:
                        rb.push(stop)
                    return
                out.append(x)

    cthreads = [run_thread(consume, k) for k in range(consumers)]
    pthreads = [run_thread(produce, k) for k in range(producers)]
    for t in pthreads:
        t.finish()
    for _ in range(consumers):  # after every real item, so none follows a stop
        rb.push(stop)
    for t in cthreads:
        t.finish()
    everything = [x for out in received for x in out]
    assert len(everything) == total
    assert sorted(everything) == list(range(total))
    for out in received:  # per producer, each consumer sees increasing values
        for k in range(producers):
            mine = [x for x in out if x % producers == k]
            assert mine == sorted(mine)
    assert len(rb) == 0


# ---- model test -------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("try_push"), st.integers()),
        st.tuples(st.just("try_pop"), st.none()),
        st.tuples(st.just("push_many"), st.lists(st.integers(), max_size=12)),
        st.tuples(st.just("pop_many"), st.integers(min_value=0, max_value=12)),
        st.tuples(st.just("len"), st.none()),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=9), operations)
def test_matches_a_bounded_deque(requested, ops):
    rb = RingBuffer(requested)
    cap = rb.capacity
    model: collections.deque[int] = collections.deque()
    for name, arg in ops:
        if name == "try_push":
            fits = len(model) < cap
            assert rb.try_push(arg) is fits
            if fits:
                model.append(arg)
        elif name == "try_pop":
            assert rb.try_pop() == (model.popleft() if model else None)
        elif name == "push_many":
            n = min(len(arg), cap - len(model))
            assert rb.push_many(arg) == n
            model.extend(arg[:n])
        elif name == "pop_many":
            expected = [model.popleft() for _ in range(min(arg, len(model)))]
            assert rb.pop_many(arg) == expected
        assert len(rb) == len(model)


def test_pop_many_waiting_list_is_invisible_to_the_gc():
    # While pop_many waits without the GIL its result list has NULL slots; another
    # thread walking gc.get_objects() must never reach it (it would crash).
    import gc

    rb = RingBuffer(16)
    done = threading.Event()

    def waiter():
        rb.pop_many(8, timeout=0.3)
        done.set()

    t = threading.Thread(target=waiter)
    t.start()
    while not done.is_set():
        for obj in gc.get_objects():
            if type(obj) is list:
                list(obj)  # touching every item of every tracked list
    t.join()
    rb.push("x")
    assert rb.pop_many(8, timeout=0.1) == ["x"]


# ---- the errors: pouw's on the face, built-ins in the kernel ---------------------


def test_closed_is_queue_closed_still_a_queue_full_for_one_release():
    assert issubclass(QueueClosed, QueueFull) and issubclass(QueueClosed, PouwError)
    rb = RingBuffer(2)
    rb.close()
    with pytest.raises(QueueFull):  # what older callers catch keeps working
        rb.push(1, timeout=0)
    full = full_ring()
    with pytest.raises(QueueFull) as info:  # a timeout on an open ring is not "closed"
        full.push(3, timeout=0)
    assert type(info.value) is QueueFull


def test_the_kernel_alone_raises_builtins():
    rb = kernel.RingBuffer(2)
    assert rb.push_many([1, 2]) == 2
    with pytest.raises(TimeoutError, match="still full") as info:
        rb.push(3, timeout=0)
    assert not isinstance(info.value, PouwError)
    rb.close()
    for push in (rb.try_push, rb.push, lambda x: rb.push_many([x])):
        with pytest.raises(ValueError, match="closed") as info:
            push(9)
        assert not isinstance(info.value, PouwError)
    assert rb.pop_many(4) == [1, 2]
    assert kernel.RingBuffer[int].__origin__ is kernel.RingBuffer
