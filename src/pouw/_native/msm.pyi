"""Type stubs of pouw._native.msm (see msm.pyx for the layouts)."""

import numpy as np
import numpy.typing as npt

_Limbs = npt.NDArray[np.uint64]

G1: int
G2: int
JACOBIAN: int
AFFINE: int
MAX_WINDOW: int
GLV_MAX_N: int
GLS_MAX_N: int

def pick_window(n: int, group: int = ..., threads: int = 1) -> int: ...
def windows(window: int) -> int: ...
def msm(
    group: int,
    out: _Limbs,
    points: _Limbs,
    scalars: _Limbs,
    mont: bool,
    window: int = 0,
    mode: int = ...,
    threads: int = 1,
) -> None: ...
def fixed_base_table(
    group: int, table: _Limbs, points: _Limbs, window: int, threads: int = 1
) -> None: ...
def fixed_base_msm(
    group: int,
    out: _Limbs,
    table: _Limbs,
    scalars: _Limbs,
    mont: bool,
    window: int,
    mode: int = ...,
    threads: int = 1,
) -> None: ...
