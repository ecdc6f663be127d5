"""RingBuffer throughput against the standard library, side by side, as ratios.

Run from a source checkout after ``make compile`` (or an installed package)::

    PYTHONPATH=src python benchmarks/ring_throughput.py

Each row is the best of REPEATS runs, interleaved with the other rows of its
section so that a busy machine slows them alike; "ratio" is ring ops/s over the
baseline's ops/s and "target" is the ratio the ring is expected to reach.
"""

from __future__ import annotations

import collections
import platform
import queue
import sys
import threading
import time
from collections.abc import Callable

from pouw.queue import RingBuffer

PAIRS = 1_000_000  # try_push+try_pop pairs per timed run
BATCH = 64  # items per push_many/pop_many call
BATCH_ROUNDS = 20_000  # batches per timed run
HANDOFF_ITEMS = 1_000_000  # items sent from a producer thread to a consumer thread
CAPACITY = 1024  # ring (and Queue maxsize) for the single-thread cases
HANDOFF_CAPACITY = 65536  # fewer full-ring stalls: each one costs two GIL hand-offs
HANDOFF_BATCH = 256  # pop_many size for the batched consumer
REPEATS = 7

COMMAND = "PYTHONPATH=src python benchmarks/ring_throughput.py"


def best_seconds(runs: list[Callable[[], None]], repeats: int = REPEATS) -> list[float]:
    """Best time of each run; the runs alternate so that they share any load."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


# ---- single thread: one item in, one item out -------------------------------


def pairs_ring() -> None:
    rb = RingBuffer(CAPACITY)
    push, pop = rb.try_push, rb.try_pop
    for i in range(PAIRS):
        push(i)
        pop()


def pairs_simple_queue() -> None:
    q = queue.SimpleQueue()
    put, get = q.put, q.get
    for i in range(PAIRS):
        put(i)
        get()


def pairs_queue() -> None:
    q = queue.Queue(CAPACITY)
    put, get = q.put, q.get
    for i in range(PAIRS // 20):  # 20x slower: fewer pairs, same ops/s
        put(i)
        get()


def pairs_deque() -> None:
    d = collections.deque(maxlen=CAPACITY)
    put, get = d.append, d.popleft
    for i in range(PAIRS):
        put(i)
        get()


# ---- single thread: batches ---------------------------------------------------


def batch_ring() -> None:
    rb = RingBuffer(CAPACITY)
    items = list(range(BATCH))
    push_many, pop_many = rb.push_many, rb.pop_many
    for _ in range(BATCH_ROUNDS):
        push_many(items)
        pop_many(BATCH)


def batch_simple_queue() -> None:
    q = queue.SimpleQueue()
    items = list(range(BATCH))
    put, get = q.put, q.get
    for _ in range(BATCH_ROUNDS):
        for x in items:
            put(x)
        [get() for _ in range(BATCH)]


def batch_deque() -> None:
    d = collections.deque()
    items = list(range(BATCH))
    extend, get = d.extend, d.popleft
    for _ in range(BATCH_ROUNDS):
        extend(items)
        [get() for _ in range(BATCH)]


# ---- two threads: producer -> consumer -------------------------------------------


def handoff(put: Callable[[int], object], get: Callable[[], object]) -> None:
    def produce() -> None:
        for i in range(HANDOFF_ITEMS):
            put(i)

    def consume() -> None:
        for _ in range(HANDOFF_ITEMS):
            get()

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def handoff_ring() -> None:
    rb = RingBuffer(HANDOFF_CAPACITY)
    handoff(rb.push, rb.pop)


def handoff_ring_batched() -> None:
    rb = RingBuffer(HANDOFF_CAPACITY)

    def produce() -> None:
        for i in range(HANDOFF_ITEMS):
            rb.push(i)

    def consume() -> None:
        received = 0
        while received < HANDOFF_ITEMS:
            received += len(rb.pop_many(HANDOFF_BATCH, timeout=1.0))

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def handoff_simple_queue() -> None:
    q = queue.SimpleQueue()
    handoff(q.put, q.get)


def handoff_queue() -> None:
    q = queue.Queue(HANDOFF_CAPACITY)
    handoff(q.put, q.get)


# (section, ring, [(baseline name, baseline, target ratio or None)], ops per run)
SECTIONS = [
    (
        "try_push+try_pop pairs",
        pairs_ring,
        [
            ("SimpleQueue put+get", pairs_simple_queue, 1.1),
            ("Queue put+get", pairs_queue, 20.0),
            ("deque append+popleft", pairs_deque, None),
        ],
        {pairs_queue: PAIRS // 20},
        PAIRS,
    ),
    (
        f"push_many+pop_many, batches of {BATCH} (per item)",
        batch_ring,
        [
            ("SimpleQueue put+get", batch_simple_queue, 3.0),
            ("deque extend+popleft", batch_deque, None),
        ],
        {},
        BATCH * BATCH_ROUNDS,
    ),
    (
        "producer thread -> consumer thread, push/pop",
        handoff_ring,
        [
            ("SimpleQueue put/get", handoff_simple_queue, 1.0),
            ("Queue put/get", handoff_queue, None),
        ],
        {},
        HANDOFF_ITEMS,
    ),
    (
        f"producer thread push -> consumer thread pop_many({HANDOFF_BATCH})",
        handoff_ring_batched,
        [("SimpleQueue put/get", handoff_simple_queue, None)],
        {},
        HANDOFF_ITEMS,
    ),
]


def machine_info() -> dict[str, str]:
    return {
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }


def measure(verbose: bool = True) -> dict:
    """Run every section; return {"rows": [...], "ratios": {label: ratio}, "missed": n}."""
    if verbose:
        print(
            f"# {platform.python_implementation()} {sys.version.split()[0]} on {platform.machine()}"
        )
        print(f"# reproduce: {COMMAND}")
    header = f"{'case':<48} {'ops/s':>14} {'ratio':>8} {'target':>8}"
    missed = 0
    rows = []
    ratios = {}
    for title, ring, baselines, counts, ops in SECTIONS:
        if verbose:
            print(f"\n## {title}\n{header}")
        ring_time, *base_times = best_seconds([ring] + [base for _, base, _ in baselines])
        ring_rate = ops / ring_time
        if verbose:
            print(f"{'RingBuffer':<48} {ring_rate:>14,.0f} {'':>8} {'':>8}")
        for (name, base, target), seconds in zip(baselines, base_times, strict=True):
            rate = counts.get(base, ops) / seconds
            ratio = ring_rate / rate
            ok = "" if target is None else (" ok" if ratio >= target else " MISSED")
            missed += target is not None and ratio < target
            target_text = "" if target is None else f">={target:g}"
            rows.append(
                {
                    "case": title,
                    "baseline": name,
                    "ring_ops_s": ring_rate,
                    "baseline_ops_s": rate,
                    "ratio": ratio,
                    "target": target,
                }
            )
            if target is not None:
                ratios[f"{title.split(',')[0]}\nvs {name}"] = ratio
            if verbose:
                print(f"{name:<48} {rate:>14,.0f} {ratio:>7.2f}x {target_text:>8}{ok}")
    return {"rows": rows, "ratios": ratios, "missed": missed}


def main() -> int:
    return 1 if measure()["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
