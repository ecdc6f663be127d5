"""The compiled core of pouw. Nothing here is public API: use the typed faces one layer up.

Each extension module is one cohesive area; ``NATIVE_MODULES`` lists them so a
broken build is reported with a message that says how to rebuild, never
replaced by a silent pure-Python fallback.
"""

NATIVE_MODULES = (
    "ring",
    "merkle",
    "trace",
    "vm",
    "constraints",
    "field",
    "curve",
    "pairing",
    "ntt",
    "msm",
    "poseidon",
    "groth16",
    "witness",
)


def missing_extension(name: str, exc: ImportError) -> ImportError:
    """The error raised when a compiled module cannot be imported."""
    return ImportError(
        f"pouw's compiled extension 'pouw._native.{name}' is not importable ({exc}). "
        "Install the package with pip (which compiles it) or, in a source checkout, "
        "run `make compile`."
    )
