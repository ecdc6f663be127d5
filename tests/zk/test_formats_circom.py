"""circom/snarkjs binary files: .r1cs, .wtns and .zkey made by the real tools
(tests/vectors/groth16, see its README) read exactly; pouw proves from the
snarkjs key and witness, its proof verifies under snarkjs's verifying key, a
snarkjs proof verifies under pouw; every corrupt, truncated or non-canonical
file is refused with a clear error (never reduced, never a crash)."""

from __future__ import annotations

import contextlib
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groth16_support import (
    PUBLIC,
    VECTORS,
    WITNESS,
    first_violation,
    fixture_proof,
    fixture_vk,
    py_ecc_verify,
    twist_point_outside_subgroup,
)
from pouw.errors import CurveError, PouwError, ProofError
from pouw.zk.field import Q, R
from pouw.zk.formats import read_r1cs, read_wtns, read_zkey
from pouw.zk.formats.binfile import read_binfile
from pouw.zk.groth16 import prove, setup, verify

ZKEY = (VECTORS / "mul.zkey").read_bytes()
WTNS = (VECTORS / "mul.wtns").read_bytes()
R1CS_BYTES = (VECTORS / "mul.r1cs").read_bytes()


# ---------------------------------------------------------------- reading


def test_read_wtns():
    assert read_wtns(VECTORS / "mul.wtns").to_ints() == WITNESS


def test_read_r1cs():
    r1cs = read_r1cs(VECTORS / "mul.r1cs")
    assert (r1cs.n_wires, r1cs.n_public, r1cs.n_constraints) == (6, 2, 2)
    assert first_violation(r1cs, WITNESS) is None
    bad = list(WITNESS)
    bad[1] += 1
    assert first_violation(r1cs, bad) == 1


def test_read_zkey_matches_the_exported_verifying_key():
    pk, vk = read_zkey(VECTORS / "mul.zkey")
    assert vk == fixture_vk()
    assert (pk.n_wires, pk.n_public, pk.domain_size) == (6, 2, 8)
    assert pk.c is None


def test_readers_take_bytes_too():
    assert read_wtns(WTNS).to_ints() == WITNESS
    assert read_zkey(ZKEY)[1] == fixture_vk()


# ---------------------------------------------------------------- proving across tools


def test_pouw_proves_from_the_snarkjs_key_and_witness():
    pk, vk = read_zkey(VECTORS / "mul.zkey")
    w = read_wtns(VECTORS / "mul.wtns")
    proof = prove(pk, w)
    public = w[1:3].to_ints()
    assert public == PUBLIC
    assert verify(vk, public, proof)
    assert verify(fixture_vk(), public, proof)
    assert py_ecc_verify(fixture_vk(), public, proof)
    assert not verify(fixture_vk(), [169, 5], proof)


def test_snarkjs_proof_verifies_under_pouw():
    proof, public = fixture_proof()
    vk = fixture_vk()
    assert verify(vk, public, proof)
    assert not verify(vk, [public[0], public[1] + 1], proof)
    assert not verify(vk, [public[0] + R, public[1]], proof)


def test_pouw_refuses_an_unsatisfied_witness_with_the_snarkjs_key():
    pk, _ = read_zkey(VECTORS / "mul.zkey")
    bad = list(WITNESS)
    bad[5] = 34
    with pytest.raises(ProofError, match="does not satisfy"):
        prove(pk, bad)


def test_pouw_setup_on_the_circom_r1cs():
    r1cs = read_r1cs(VECTORS / "mul.r1cs")
    pk, vk = setup(r1cs)
    proof = prove(pk, WITNESS)
    assert verify(vk, PUBLIC, proof)
    assert not verify(fixture_vk(), PUBLIC, proof)  # another key
    with pytest.raises(ProofError, match="violates constraint 0"):
        prove(pk, [1, 168, 5, 3, 11, 34])


# ---------------------------------------------------------------- corrupt files


def _section(data: bytes, kind: int) -> tuple[int, int]:
    bf = read_binfile(data, data[:4], (1, 2))
    ((off, size),) = bf.sections[kind]
    return off, size


def _patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def _mont(v: int) -> bytes:
    return (v * (1 << 256) % Q).to_bytes(32, "little")


@pytest.mark.parametrize("data", [ZKEY, WTNS, R1CS_BYTES])
@pytest.mark.parametrize("cut", [0, 3, 11, 20, 100, -1])
def test_truncated_files_are_refused(data, cut):
    reader = {b"zkey": read_zkey, b"wtns": read_wtns, b"r1cs": read_r1cs}[data[:4]]
    short = data[:cut] if cut >= 0 else data[:-1]
    with pytest.raises(ProofError):
        reader(short)


@pytest.mark.parametrize("reader", [read_zkey, read_wtns, read_r1cs])
def test_wrong_magic_and_version_are_refused(reader):
    data = {read_zkey: ZKEY, read_wtns: WTNS, read_r1cs: R1CS_BYTES}[reader]
    with pytest.raises(ProofError, match="magic"):
        reader(b"xxxx" + data[4:])
    with pytest.raises(ProofError, match="version"):
        reader(data[:4] + struct.pack("<I", 9) + data[8:])


def test_missing_file_is_a_proof_error(tmp_path):
    with pytest.raises(ProofError, match="cannot read"):
        read_zkey(tmp_path / "absent.zkey")


def test_zkey_off_curve_point_is_refused():
    off, _ = _section(ZKEY, 5)  # A query: point 1's y
    y = int.from_bytes(ZKEY[off + 64 + 32 : off + 128], "little")
    bad = _patch(ZKEY, off + 64 + 32, ((y + 1) % Q).to_bytes(32, "little"))
    with pytest.raises(CurveError, match="A: G1 point 1 is not on the curve"):
        read_zkey(bad)


def test_zkey_non_canonical_coordinate_is_refused_never_reduced():
    off, _ = _section(ZKEY, 9)  # H query: point 2's x gets x + q (same value mod q)
    x = int.from_bytes(ZKEY[off + 128 : off + 160], "little")
    assert x + Q < 1 << 256
    bad = _patch(ZKEY, off + 128, (x + Q).to_bytes(32, "little"))
    with pytest.raises(CurveError, match="not below q"):
        read_zkey(bad)


def test_zkey_g2_point_outside_the_subgroup_is_refused():
    x, y = twist_point_outside_subgroup()
    point = b"".join(_mont(v) for v in (x[0], x[1], y[0], y[1]))
    off, _ = _section(ZKEY, 7)  # B2 query, point 3
    with pytest.raises(CurveError, match="B2: G2 point 3 is not in the order-r subgroup"):
        read_zkey(_patch(ZKEY, off + 3 * 128, point))
    hoff, _ = _section(ZKEY, 2)  # header: beta_2 after n8q, q, n8r, r, 3 counts, alpha_1, beta_1
    with pytest.raises(CurveError, match="beta_2"):
        read_zkey(_patch(ZKEY, hoff + 4 + 32 + 4 + 32 + 12 + 128, point))


def test_zkey_header_point_at_infinity_is_refused():
    hoff, _ = _section(ZKEY, 2)
    with pytest.raises(CurveError, match="alpha_1 is the point at infinity"):
        read_zkey(_patch(ZKEY, hoff + 4 + 32 + 4 + 32 + 12, bytes(64)))


def test_zkey_bad_coefficients_are_refused():
    off, _ = _section(ZKEY, 4)
    # First record: matrix, constraint, wire, value.
    with pytest.raises(ProofError, match="matrix other than"):
        read_zkey(_patch(ZKEY, off + 4, struct.pack("<I", 2)))
    with pytest.raises(ProofError, match="beyond the domain"):
        read_zkey(_patch(ZKEY, off + 8, struct.pack("<I", 8)))
    with pytest.raises(ProofError, match="beyond the 6 wires"):
        read_zkey(_patch(ZKEY, off + 12, struct.pack("<I", 6)))
    with pytest.raises(CurveError, match="not below the modulus"):
        read_zkey(_patch(ZKEY, off + 16, (R + 1).to_bytes(32, "little")))
    with pytest.raises(ProofError, match="coefficients announced"):
        read_zkey(_patch(ZKEY, off, struct.pack("<I", 1000)))


def test_zkey_for_another_field_or_protocol_is_refused():
    off, _ = _section(ZKEY, 1)
    with pytest.raises(ProofError, match="not a Groth16 key"):
        read_zkey(_patch(ZKEY, off, struct.pack("<I", 2)))
    hoff, _ = _section(ZKEY, 2)
    with pytest.raises(ProofError, match="base field"):
        read_zkey(_patch(ZKEY, hoff + 4, (Q - 2).to_bytes(32, "little")))


def test_wtns_value_not_below_r_is_refused():
    off, _ = _section(WTNS, 2)
    bad = _patch(WTNS, off + 32 * 3, (3 + R).to_bytes(32, "little"))
    with pytest.raises(CurveError, match="element 3 is not a canonical"):
        read_wtns(bad)


def test_wtns_constant_wire_must_be_one():
    off, _ = _section(WTNS, 2)
    with pytest.raises(ProofError, match="not 1"):
        read_wtns(_patch(WTNS, off, (2).to_bytes(32, "little")))


def test_r1cs_bad_wire_and_coefficient_are_refused():
    off, _ = _section(R1CS_BYTES, 2)
    # Constraint 0, A: count, then wire id and coefficient.
    with pytest.raises(ProofError, match="names wire 99"):
        read_r1cs(_patch(R1CS_BYTES, off + 4, struct.pack("<I", 99)))
    with pytest.raises(CurveError, match="coefficient"):
        read_r1cs(_patch(R1CS_BYTES, off + 8, R.to_bytes(32, "little")))
    with pytest.raises(ProofError, match="truncated|unexpected"):
        read_r1cs(_patch(R1CS_BYTES, off, struct.pack("<I", 1000)))


# Header (section 1): n8, the prime, then u32 wires, outputs, public inputs,
# private inputs, the u64 label count and the u32 constraint count.
_R1CS_WIRES, _R1CS_CONSTRAINTS = 4 + 32, 4 + 32 + 16 + 8


def test_r1cs_huge_declared_counts_are_refused_before_any_allocation():
    off, _ = _section(R1CS_BYTES, 1)
    huge = struct.pack("<I", 0xFFFFFFFF)
    # 2^32 - 1 constraints would take ~100 GB of index arrays: refused from the
    # section's size alone.
    with pytest.raises(ProofError, match="4294967295 constraints announced"):
        read_r1cs(_patch(R1CS_BYTES, off + _R1CS_CONSTRAINTS, huge))
    # 2^32 - 1 wires: the wire map (8 bytes per wire) does not back the claim.
    with pytest.raises(ProofError, match="wire map"):
        read_r1cs(_patch(R1CS_BYTES, off + _R1CS_WIRES, huge))
    # the accepting twin: the true counts parse
    assert read_r1cs(R1CS_BYTES).n_constraints == 2


def test_zkey_sections_are_views_not_reductions():
    """The bytes a zkey holds are exactly the points pouw keeps (no silent changes)."""
    pk, _ = read_zkey(ZKEY)
    off, size = _section(ZKEY, 5)
    raw = np.frombuffer(ZKEY[off : off + size], dtype="<u8").reshape(-1, 8)
    assert np.array_equal(raw, pk.a_query.montgomery)


def test_write_wtns_matches_circoms_file_byte_for_byte(tmp_path):
    from pouw.zk.field import FrArray
    from pouw.zk.formats.wtns import write_wtns, wtns_bytes

    w = FrArray.from_ints(WITNESS)
    assert wtns_bytes(w) == WTNS
    write_wtns(tmp_path / "w.wtns", w)
    assert read_wtns(tmp_path / "w.wtns") == w
    assert wtns_bytes(FrArray.from_ints([1, 2])) != WTNS


@settings(max_examples=150, deadline=None)
@given(
    which=st.sampled_from(["zkey", "wtns", "r1cs"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_random_corruption_is_an_error_never_a_crash(which, edits, cut):
    """Any damaged file either still parses (a changed value that is valid) or is
    refused with a PouwError (ProofError or CurveError): never another exception."""
    data, reader = {
        "zkey": (ZKEY, read_zkey),
        "wtns": (WTNS, read_wtns),
        "r1cs": (R1CS_BYTES, read_r1cs),
    }[which]
    buf = bytearray(data)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    if cut is not None:
        buf = buf[: cut % (len(buf) + 1)]
    with contextlib.suppress(PouwError):  # anything else fails the test
        reader(bytes(buf))
