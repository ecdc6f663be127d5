"""Type stubs of pouw._native.groth16 (see groth16.pyx for the layouts)."""

import numpy as np
import numpy.typing as npt

def spmv(
    out: npt.NDArray[np.uint64],
    row_ptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    values: npt.NDArray[np.uint64],
    w: npt.NDArray[np.uint64],
) -> None: ...
