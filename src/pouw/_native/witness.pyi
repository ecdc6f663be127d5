"""Type stubs of pouw._native.witness (see witness.pyx for the layouts)."""

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from .poseidon import Constants

OPS: dict[str, int]

class Program:
    n_vars: int
    n_inputs: int
    def __init__(
        self,
        code: npt.NDArray[np.int64],
        lc_ptr: npt.NDArray[np.int64],
        lc_var: npt.NDArray[np.int64],
        lc_coef: npt.NDArray[np.uint64],
        n_vars: int,
        n_inputs: int,
        constants: Mapping[int, Constants],
    ) -> None: ...
    def run(self, inputs: npt.NDArray[np.uint64], out: npt.NDArray[np.uint64]) -> None: ...
