"""verify_batch: one multi-pairing over a random combination of many Groth16 equations."""

from __future__ import annotations

import dataclasses
import random

import pytest

from groth16_support import chain
from pouw.zk.groth16 import prove, setup
from pouw.zk.groth16.keys import Proof
from pouw.zk.groth16.verifier import prepare, verify, verify_batch


@pytest.fixture(scope="module")
def batch():
    r1cs, _ = chain(16)
    pk, vk = setup(r1cs, random.Random(1))
    items = []
    for k in range(8):
        _, w = chain(16, x=3 + k, y0=5 + 2 * k)
        items.append((w[1:3], prove(pk, w, rng=random.Random(k))))
    return prepare(vk), items


def test_a_batch_of_valid_proofs_verifies(batch) -> None:
    pvk, items = batch
    assert all(verify(pvk, x, p) for x, p in items)
    assert verify_batch(pvk, items)
    assert verify_batch(pvk.vk, items[:1])  # an unprepared key, one item
    assert verify_batch(pvk, [])


@pytest.mark.parametrize("where", [0, 3, 7])
def test_one_bad_item_fails_the_batch(batch, where) -> None:
    pvk, items = batch
    x, p = items[where]
    other_inputs = [*items[:where], ([x[0], x[1] + 1], p), *items[where + 1 :]]
    assert not verify_batch(pvk, other_inputs)
    swapped = [*items[:where], (x, items[(where + 1) % 8][1]), *items[where + 1 :]]
    assert not verify_batch(pvk, swapped)
    negated_c = Proof(p.a, p.b, (p.c[0], (-p.c[1]) % (1 << 256)))
    assert not verify_batch(pvk, [*items[:where], (x, negated_c), *items[where + 1 :]])


def test_two_bad_proofs_do_not_cancel(batch) -> None:
    """A and A' with errors that cancel in a plain sum are caught: the weights are random."""
    pvk, items = batch
    (x0, p0), (x1, p1) = items[0], items[1]
    # swap the C points of two proofs: each equation is broken, their sum is not
    bad = [(x0, dataclasses.replace(p0, c=p1.c)), (x1, dataclasses.replace(p1, c=p0.c))]
    assert not verify_batch(pvk, bad + items[2:])


def test_malformed_items_are_false_never_raise(batch) -> None:
    pvk, items = batch
    x, p = items[0]
    assert not verify_batch(pvk, [(x, Proof(None, p.b, p.c))])
    assert not verify_batch(pvk, [([x[0]], p)])
    assert not verify_batch(pvk, [(x, "proof")])  # type: ignore[list-item]
    assert not verify_batch(pvk, [([x[0], -1], p)])
