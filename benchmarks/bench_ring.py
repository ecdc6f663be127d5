"""pytest-benchmark: RingBuffer against queue.SimpleQueue, queue.Queue and deque.

Each group holds the ring and its standard-library baselines on the same work,
so ``--benchmark-group-by=group`` lines them up::

    PYTHONPATH=src python -m pytest benchmarks/bench_ring.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops

One benchmark call moves PAIRS items (or BATCHES batches of BATCH, or
HANDOFF_ITEMS between two threads), so ops/s times that count is items/s.
For a one-table summary with ratios, run ``benchmarks/ring_throughput.py``.
"""

from __future__ import annotations

import collections
import queue
import threading

import pytest

from pouw.queue import RingBuffer

PAIRS = 10_000  # push+pop pairs per benchmark call
BATCH = 64  # items per push_many/pop_many
BATCHES = 200  # batches per benchmark call
HANDOFF_ITEMS = 100_000  # items from a producer thread to a consumer thread
CAPACITY = 1024  # ring capacity (and Queue maxsize) for single-thread cases
HANDOFF_CAPACITY = 65536


# ---- one thread, item by item ----------------------------------------------------


def _pairs(put, get):
    def run():
        for i in range(PAIRS):
            put(i)
            get()

    return run


def _ring_pair():
    rb = RingBuffer(CAPACITY)
    return rb.try_push, rb.try_pop


def _simple_queue_pair():
    q = queue.SimpleQueue()
    return q.put, q.get


def _queue_pair():
    q = queue.Queue(CAPACITY)
    return q.put_nowait, q.get_nowait


def _deque_pair():
    d = collections.deque()
    return d.append, d.popleft


PAIR_CASES = {
    "RingBuffer try_push+try_pop": _ring_pair,
    "SimpleQueue put+get": _simple_queue_pair,
    "Queue put_nowait+get_nowait": _queue_pair,
    "deque append+popleft": _deque_pair,
}


@pytest.mark.benchmark(group="ring: push+pop pairs, one thread")
@pytest.mark.parametrize("case", list(PAIR_CASES))
def test_pairs(benchmark, case):
    put, get = PAIR_CASES[case]()
    benchmark(_pairs(put, get))


# ---- one thread, batches -------------------------------------------------------------


def _batch_ring():
    rb = RingBuffer(CAPACITY)
    items = list(range(BATCH))
    push_many, pop_many = rb.push_many, rb.pop_many

    def run():
        for _ in range(BATCHES):
            push_many(items)
            pop_many(BATCH)

    return run


def _batch_simple_queue():
    q = queue.SimpleQueue()
    items = list(range(BATCH))
    put, get = q.put, q.get

    def run():
        for _ in range(BATCHES):
            for x in items:
                put(x)
            [get() for _ in range(BATCH)]

    return run


def _batch_deque():
    d = collections.deque()
    items = list(range(BATCH))
    extend, get = d.extend, d.popleft

    def run():
        for _ in range(BATCHES):
            extend(items)
            [get() for _ in range(BATCH)]

    return run


BATCH_CASES = {
    "RingBuffer push_many+pop_many": _batch_ring,
    "SimpleQueue put+get loops": _batch_simple_queue,
    "deque extend+popleft loop": _batch_deque,
}


@pytest.mark.benchmark(group=f"ring: batches of {BATCH}, one thread")
@pytest.mark.parametrize("case", list(BATCH_CASES))
def test_batches(benchmark, case):
    benchmark(BATCH_CASES[case]())


# ---- producer thread -> consumer thread --------------------------------------------


def _handoff(make):
    def run():
        put, get = make()

        def produce():
            for i in range(HANDOFF_ITEMS):
                put(i)

        def consume():
            for _ in range(HANDOFF_ITEMS):
                get()

        threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    return run


def _ring_blocking():
    rb = RingBuffer(HANDOFF_CAPACITY)
    return rb.push, rb.pop


def _simple_queue_blocking():
    q = queue.SimpleQueue()
    return q.put, q.get


def _queue_blocking():
    q = queue.Queue(HANDOFF_CAPACITY)
    return q.put, q.get


HANDOFF_CASES = {
    "RingBuffer push/pop": _ring_blocking,
    "SimpleQueue put/get": _simple_queue_blocking,
    "Queue put/get": _queue_blocking,
}


@pytest.mark.benchmark(group="ring: producer thread -> consumer thread")
@pytest.mark.parametrize("case", list(HANDOFF_CASES))
def test_handoff(benchmark, case):
    benchmark.pedantic(_handoff(HANDOFF_CASES[case]), rounds=5, iterations=1)
