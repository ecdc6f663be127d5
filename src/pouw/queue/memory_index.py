"""Ordered per-(status, tier) indexes of the in-memory store, for paged reads.

``list_jobs`` pages by ``seq`` (enqueue order, the API's cursor) and filters by
status and tier; ``dead_letters`` lists FAILED jobs in the same order. Scanning
every record for that held the store lock for O(n) (~10 ms at 110k records),
so each (status, tier) pair keeps its members' seqs in a :class:`SeqSet`, and
a filtered page costs O(log n + limit).

Writers stay cheap: a status change only notes the record in a *dirty* map
(one dict store under the lock the writer already holds); the indexes catch up
in :meth:`StatusIndex.flush`, which every read runs first and writers run when
the map reaches :data:`DIRTY_MAX` records (retention's drops are noted in a
list beside it, which grows no faster). A record that moves several times
between two flushes (enqueue -> claim -> complete) is re-indexed once, and a
read never does more than ``DIRTY_MAX`` catch-up steps.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from itertools import islice

from ..status import JobStatus, JobTier
from .base import JobRecord

__all__ = ["DIRTY_MAX", "SeqSet", "StatusIndex"]


DIRTY_MAX = 512  #: records noted before a writer brings the indexes up to date
_BUCKET = 512  #: a SeqSet bucket holds at most twice this many seqs, then splits in two


class SeqSet:
    """A sorted set of ints: add, remove O(log n + bucket), iterate from a key.

    Sorted buckets of at most ``2 * _BUCKET`` ints plus the list of their
    maxima (the layout of a B+-tree's leaves, one level deep): ``bisect``
    finds the bucket, and the memmove of an insert or delete stays short.
    """

    __slots__ = ("_buckets", "_maxes", "_len")

    def __init__(self) -> None:
        self._buckets: list[list[int]] = []
        self._maxes: list[int] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def add(self, key: int) -> None:
        """Insert ``key`` (not present)."""
        maxes = self._maxes
        self._len += 1
        if not maxes or key > maxes[-1]:  # the usual case: newer than every member
            if not maxes or len(self._buckets[-1]) >= 2 * _BUCKET:
                self._buckets.append([key])
                maxes.append(key)
            else:
                self._buckets[-1].append(key)
                maxes[-1] = key
            return
        i = bisect_left(maxes, key)
        bucket = self._buckets[i]
        insort(bucket, key)
        if len(bucket) > 2 * _BUCKET:
            self._buckets[i : i + 1] = [bucket[:_BUCKET], bucket[_BUCKET:]]
            maxes[i : i + 1] = [bucket[_BUCKET - 1], bucket[-1]]

    def remove(self, key: int) -> None:
        """Delete ``key`` (present)."""
        maxes = self._maxes
        i = bisect_left(maxes, key)
        if i == len(maxes):
            raise KeyError(key)
        bucket = self._buckets[i]
        j = bisect_left(bucket, key)
        if bucket[j] != key:  # j < len(bucket): key <= this bucket's max
            raise KeyError(key)
        del bucket[j]
        self._len -= 1
        if not bucket:
            del self._buckets[i], maxes[i]
        elif j == len(bucket):
            maxes[i] = bucket[-1]

    def after(self, key: int) -> Iterator[int]:
        """Members greater than ``key``, ascending (do not modify the set meanwhile)."""
        buckets = self._buckets
        i = bisect_right(self._maxes, key)
        if i == len(buckets):
            return
        first = buckets[i]
        yield from first[bisect_right(first, key) :]
        for bucket in buckets[i + 1 :]:
            yield from bucket


class StatusIndex:
    """Every retained record's seq, in one :class:`SeqSet` per (status, tier)."""

    __slots__ = ("_sets", "_where", "_by_seq", "dirty", "dropped")

    def __init__(self) -> None:
        self._sets = {(s, t): SeqSet() for s in JobStatus for t in JobTier}
        # indexed seq -> its set, and -> its record (two dicts, not one of pairs:
        # a pair per record is an allocation the garbage collector then tracks)
        self._where: dict[int, SeqSet] = {}
        self._by_seq: dict[int, JobRecord] = {}
        self.dirty: dict[int, JobRecord] = {}  #: seq -> record changed since the last flush
        self.dropped: list[int] = []  #: seqs of records retention dropped since then

    def flush(self) -> None:
        """Re-index every dirty record under its status now; forget the dropped."""
        sets, where, by_seq = self._sets, self._where, self._by_seq
        for seq, rec in self.dirty.items():
            new = sets[rec.status, rec.job.tier]
            old = where.get(seq)
            if old is new:
                continue  # moved and came back (pending -> in progress -> pending)
            if old is not None:
                old.remove(seq)
            maxes = new._maxes
            if maxes and seq > maxes[-1] and len(new._buckets[-1]) < 2 * _BUCKET:
                new._buckets[-1].append(seq)  # SeqSet.add's usual case, inlined (hot)
                maxes[-1] = seq
                new._len += 1
            else:
                new.add(seq)
            where[seq] = new
            by_seq[seq] = rec
        self.dirty.clear()
        for seq in self.dropped:  # after the dirty ones, which may have indexed it
            old = where.pop(seq, None)
            if old is not None:
                old.remove(seq)
                del by_seq[seq]
        self.dropped.clear()

    def select(
        self, status: JobStatus | None, tier: JobTier | None, after: int, limit: int | None
    ) -> list[JobRecord]:
        """Records with seq > ``after`` matching the filters, by seq, at most
        ``limit`` (call :meth:`flush` first)."""
        statuses = list(JobStatus) if status is None else [status]
        tiers = list(JobTier) if tier is None else [tier]
        runs = [self._sets[s, t].after(after) for s in statuses for t in tiers]
        seqs = runs[0] if len(runs) == 1 else heapq.merge(*runs)
        by_seq = self._by_seq
        return [by_seq[seq] for seq in islice(seqs, limit)]
