"""Zero-knowledge building blocks over BN254 (alt_bn128).

- :mod:`pouw.zk.field`: the fields Fr and Fq (:class:`FrArray`, :class:`FqArray`,
  :class:`Fr`, :class:`Fq`, the moduli :data:`R` and :data:`Q`).

Every kernel is native (``pouw._native``); this package validates and documents.
Untrusted encodings that are not canonical raise :class:`CurveError`.
"""

from __future__ import annotations

from ..errors import CurveError
from .field import FieldArray, FieldElement, Fq, FqArray, Fr, FrArray, Q, R

__all__ = [
    "CurveError",
    "FieldArray",
    "FieldElement",
    "Fq",
    "FqArray",
    "Fr",
    "FrArray",
    "Q",
    "R",
]
