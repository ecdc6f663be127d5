"""MCL, the peer the BN254 benchmarks run beside ours, through its C library.

The ``mclbn256`` package initialises MCL for a different BN254 curve at import;
``mclBn_init(4, 44)`` (MCL_BN_SNARK1 = alt_bn128, 4-limb Fp and Fr) switches it
to Ethereum's curve, after which only the C API is used.
"""

from __future__ import annotations

import ctypes

MCL_BN_SNARK1 = 4
MCLBN_COMPILED_TIME_VAR = 44  # 4-limb Fp, 4-limb Fr


class Mcl:
    """MCL's C API on alt_bn128: points, scalars, mulVec and pairings.

    Its Python classes are not used after the re-initialisation."""

    def __init__(self) -> None:
        from mclbn256 import mclbn256 as m

        self.lib = m.load_library("libmclbn256")
        if self.lib.mclBn_init(MCL_BN_SNARK1, MCLBN_COMPILED_TIME_VAR):
            raise RuntimeError("mclBn_init(MCL_BN_SNARK1) failed")
        self.G1 = ctypes.c_uint64 * 12
        self.G2 = ctypes.c_uint64 * 24
        self.Fr = ctypes.c_uint64 * 4
        self.GT = ctypes.c_uint64 * 48

    def g1(self, pt: tuple) -> ctypes.Array:
        """One G1 point (py_ecc-style affine ints) as MCL's type."""
        return self.points([pt], g2=False)[0]

    def g2(self, pt: tuple) -> ctypes.Array:
        """One G2 point (py_ecc-style affine ints) as MCL's type."""
        return self.points([pt], g2=True)[0]

    def points(self, pts: list, g2: bool) -> ctypes.Array:
        kind = self.G2 if g2 else self.G1
        arr = (kind * len(pts))()
        set_str = self.lib.mclBnG2_setStr if g2 else self.lib.mclBnG1_setStr
        for i, pt in enumerate(pts):
            if pt is None:
                s = b"0"
            elif g2:
                (x0, x1), (y0, y1) = pt
                s = f"1 {x0} {x1} {y0} {y1}".encode()
            else:
                s = f"1 {pt[0]} {pt[1]}".encode()
            assert set_str(ctypes.byref(arr[i]), s, len(s), 10) == 0
        return arr

    def scalars(self, ks: list[int]) -> ctypes.Array:
        arr = (self.Fr * len(ks))()
        for i, k in enumerate(ks):
            b = k.to_bytes(32, "little")
            assert self.lib.mclBnFr_setLittleEndian(ctypes.byref(arr[i]), b, 32) == 0
        return arr

    def mul_vec(self, pts: ctypes.Array, ks: ctypes.Array, g2: bool) -> ctypes.Array:
        out = (self.G2 if g2 else self.G1)()
        fn = self.lib.mclBnG2_mulVec if g2 else self.lib.mclBnG1_mulVec
        fn(ctypes.byref(out), pts, ks, ctypes.c_size_t(len(ks)))
        return out

    def to_tuple(self, pt: ctypes.Array, g2: bool) -> object:
        buf = ctypes.create_string_buffer(1024)
        get_str = self.lib.mclBnG2_getStr if g2 else self.lib.mclBnG1_getStr
        size = get_str(buf, 1024, ctypes.byref(pt), 10)
        words = buf.raw[:size].decode().split()
        if words == ["0"]:
            return None
        v = [int(x) for x in words[1:]]
        return ((v[0], v[1]), (v[2], v[3])) if g2 else (v[0], v[1])
