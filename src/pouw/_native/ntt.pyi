"""Type stubs of pouw._native.ntt (see pouw.zk.ntt).

Arrays are C-contiguous, writable numpy uint64 arrays of shape (n, 4) in
Montgomery form, n a power of two up to 2^MAX_LOG; transforms work in place.
"""

import numpy as np
import numpy.typing as npt

_Limbs = npt.NDArray[np.uint64]

MAX_LOG: int
GENERATOR: int
ROOT_OF_UNITY: int
GIL_THRESHOLD: int

def root_of_unity(log_size: int) -> int: ...

class Twiddles:
    log_size: int
    size: int
    omega: int
    omega_inv: int
    size_inv: int
    def __init__(self, log_size: int) -> None: ...

def twiddles(log_size: int) -> Twiddles: ...
def clear_cache() -> None: ...
def forward(a: _Limbs, shift: int | None = None, threads: int = 1) -> None: ...
def inverse(a: _Limbs, shift: int | None = None, threads: int = 1) -> None: ...
