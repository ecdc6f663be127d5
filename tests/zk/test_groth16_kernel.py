"""The Groth16 prover's native kernel (pouw._native.groth16.spmv): the sparse
mat-vec over Fr checked against Python ints, and its boundary checks (bad
pointers, columns out of range, wrong dtypes) refused before any read."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groth16_support import matrix
from pouw._native import groth16 as _g
from pouw.zk.field import FrArray, R
from pouw.zk.groth16.qap import matvec, transpose_matvec


def _dense(rows, n_cols):
    return [[sum(c for j, c in r if j == k) % R for k in range(n_cols)] for r in rows]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n_rows=st.integers(0, 12), n_cols=st.integers(1, 9))
def test_matvec_and_transpose_match_python_ints(seed, n_rows, n_cols):
    rng = random.Random(seed)
    rows = [
        [(rng.randrange(n_cols), rng.randrange(R)) for _ in range(rng.randint(0, 4))]
        for _ in range(n_rows)
    ]
    w = [rng.randrange(R) for _ in range(n_cols)]
    m = matrix(rows)
    dense = _dense(rows, n_cols)
    expect = [sum(a * b for a, b in zip(row, w, strict=True)) % R for row in dense]
    size = n_rows + 3
    assert matvec(m, FrArray.from_ints(w), size).to_ints() == expect + [0, 0, 0]
    if n_rows:
        assert matvec(m, FrArray.from_ints(w), n_rows - 1).to_ints() == expect[:-1]
    v = [rng.randrange(R) for _ in range(n_rows)]
    expect_t = [sum(dense[i][k] * v[i] for i in range(n_rows)) % R for k in range(n_cols)]
    assert transpose_matvec(m, FrArray.from_ints(v), n_cols).to_ints() == expect_t


def _args(**over):
    args = {
        "out": np.zeros((2, 4), dtype=np.uint64),
        "row_ptr": np.array([0, 1, 2], dtype=np.int64),
        "cols": np.array([0, 1], dtype=np.int64),
        "values": FrArray.from_ints([1, 2]).montgomery,
        "w": FrArray.from_ints([3, 4]).montgomery,
    }
    args.update(over)
    return args


def test_kernel_accepts_a_well_formed_matrix():
    args = _args()
    _g.spmv(**args)
    assert FrArray._wrap(args["out"]).to_ints() == [3, 8]


@pytest.mark.parametrize(
    "over, error, match",
    [
        ({"cols": np.array([0, 2], dtype=np.int64)}, ValueError, "row 1"),
        ({"cols": np.array([-1, 0], dtype=np.int64)}, ValueError, "row 0"),
        ({"row_ptr": np.array([0, 2, 1], dtype=np.int64)}, ValueError, "ends at 1"),
        ({"row_ptr": np.array([1, 1, 2], dtype=np.int64)}, ValueError, "row 0"),
        ({"row_ptr": np.array([0, 3, 2], dtype=np.int64)}, ValueError, "row 0"),
        ({"row_ptr": np.array([0, 1, 2], dtype=np.int32)}, TypeError, "int64"),
        ({"row_ptr": np.array([], dtype=np.int64)}, ValueError, "n_rows"),
        ({"cols": np.array([0], dtype=np.int64)}, ValueError, "1 columns but 2 values"),
        ({"out": np.zeros((1, 4), dtype=np.uint64)}, ValueError, "out has 1 rows"),
        ({"out": np.zeros((2, 4), dtype=np.int64)}, TypeError, "uint64"),
        ({"w": np.zeros((2, 3), dtype=np.uint64)}, ValueError, "shape"),
    ],
)
def test_kernel_rejects_malformed_input(over, error, match):
    with pytest.raises(error, match=match):
        _g.spmv(**_args(**over))


def test_kernel_rejects_a_read_only_output():
    out = np.zeros((2, 4), dtype=np.uint64)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _g.spmv(**_args(out=out))
