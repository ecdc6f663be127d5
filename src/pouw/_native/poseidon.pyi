"""Type stubs of pouw._native.poseidon (see pouw.zk.poseidon).

Arrays are C-contiguous numpy uint64 arrays of shape (n, 4): constants as
canonical integer limbs, columns and outputs as Montgomery rows.
"""

from collections.abc import Sequence
from typing import SupportsIndex

import numpy as np
import numpy.typing as npt

_Limbs = npt.NDArray[np.uint64]

R: int
MAX_T: int
LAYOUT: tuple[str, ...]

def layout(t: int, full_rounds: int, partial_rounds: int) -> dict[str, int]: ...

class Constants:
    t: int
    full_rounds: int
    partial_rounds: int
    def __init__(self, t: int, full_rounds: int, partial_rounds: int, raw: _Limbs) -> None: ...
    def capsule(self) -> object: ...

def backend_capsule() -> object: ...
def hash(c: Constants, inputs: Sequence[SupportsIndex]) -> int: ...
def permute(c: Constants, state: Sequence[SupportsIndex]) -> list[int]: ...
def trace(c: Constants, inputs: Sequence[SupportsIndex]) -> list[int]: ...
def hash_batch(c: Constants, columns: Sequence[_Limbs], out: _Limbs) -> None: ...
