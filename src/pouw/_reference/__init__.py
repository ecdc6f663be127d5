"""Plain-Python oracles of the native kernels: same signatures, same results, slow.

Used by tests (and for debugging); never a fallback for a missing extension.
"""
