"""pouw's own proving-key file: fast to open, checked by a hash, memory-mappable.

A ``.zkey`` is validated once at import (every point on its curve and in its
subgroup: seconds for a large key); this file keeps the result so a prover
opens it in milliseconds.  Layout (little-endian):

- bytes 0-7: the magic ``b"POUWG16K"``; 8-11: the format version (``u32``, 1);
  12-15: the header length ``L`` (``u32``); 16-47: the BLAKE3 digest of every
  byte from offset 48 to the end of the file;
- from 48: the header, ``L`` bytes of UTF-8 JSON: the key's sizes and, for
  each array, its ``offset`` (from the file's start, a multiple of 64), its
  ``shape`` and its ``dtype`` (``"<u8"`` or ``"<i8"``);
- the arrays, raw, each at its offset: points and field elements in pouw's
  storage layout (Montgomery limbs, :mod:`pouw.zk.curve`), CSR indexes as
  int64, and the fixed-base MSM tables the key was saved with (:mod:`.tables`;
  the header's ``msm_windows`` names them and their windows).

:func:`load_proving_key` maps the file read-only, checks the magic, version,
header and digest (:class:`~pouw.errors.ProofError` on any mismatch: a
truncated or corrupt file is refused, never half-read), and wraps the arrays
with ``np.frombuffer`` -- no copy, no re-validation of the points: the digest
guards what the import validated.  The digest detects accidents, not an
attacker who can write the file (who could write a new digest too): keep key
files where only their owner can write.
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import secrets
import struct
from os import PathLike
from pathlib import Path
from typing import Any

import blake3
import numpy as np

from ...errors import ProofError
from ..field import FrArray
from ..points import G1Array, G2Array
from ..r1cs import SparseMatrix
from .keys import ProvingKey, VerifyingKey
from .tables import DEFAULT_TABLE_BUDGET, context_from_table, msm_tables, precompute_msm_tables

__all__ = ["MAGIC", "VERSION", "save_proving_key", "load_proving_key", "load_zkey_cached"]

MAGIC = b"POUWG16K"
VERSION = 1
_PREFIX = 48
_ALIGN = 64
_DTYPES = {"<u8": np.uint64, "<i8": np.int64}


def _arrays(pk: ProvingKey) -> dict[str, np.ndarray]:
    vk = pk.vk
    out: dict[str, np.ndarray] = {
        "g1": G1Array.from_ints([vk.alpha_g1, pk.beta_g1, pk.delta_g1]).montgomery,
        "g2": G2Array.from_ints([vk.beta_g2, vk.gamma_g2, vk.delta_g2]).montgomery,
        "ic": G1Array.from_ints(vk.ic).montgomery,
        "a_query": pk.a_query.montgomery,
        "b_g1_query": pk.b_g1_query.montgomery,
        "b_g2_query": pk.b_g2_query.montgomery,
        "c_query": pk.c_query.montgomery,
        "h_query": pk.h_query.montgomery,
    }
    mats = [("a", pk.a), ("b", pk.b)] + ([("c", pk.c)] if pk.c is not None else [])
    for name, m in mats:
        out[f"{name}_row_ptr"] = m.row_ptr
        out[f"{name}_cols"] = m.cols
        out[f"{name}_values"] = m.values.montgomery
    return out


def save_proving_key(
    pk: ProvingKey,
    path: str | PathLike[str],
    msm_table_bytes: int = DEFAULT_TABLE_BUDGET,
    label: dict[str, Any] | None = None,
) -> None:
    """Write ``pk`` to ``path`` (atomically: a temporary file renamed into place).

    With ``msm_table_bytes > 0`` the key's fixed-base MSM tables are built
    within that budget (:func:`~.tables.precompute_msm_tables`, once) and
    saved too, so the loaded key proves with them at once; 0 saves none.
    ``label`` (JSON-able) is kept in the header, under the digest, and comes
    back as ``pk.cache["label"]`` (the trace circuits record their circuit's
    digest there).
    """
    arrays = _arrays(pk)
    windows: dict[str, int] = {}
    if msm_table_bytes > 0:
        precompute_msm_tables(pk, msm_table_bytes)
        for name, ctx in msm_tables(pk).items():
            arrays[f"table:{name}"] = ctx._table
            windows[name] = ctx.window
    meta: dict[str, Any] = {
        "n_wires": pk.n_wires,
        "n_public": pk.n_public,
        "domain_size": pk.domain_size,
        "msm_windows": windows,
        "arrays": {},
    }
    if label is not None:
        meta["label"] = label
    # Offsets depend on the header's length: lay out with a generous bound, then check.
    sizes = {
        k: np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<")) for k, v in arrays.items()
    }
    bound = 4096 + 128 * len(sizes)
    pos = _PREFIX + bound
    for name, arr in sizes.items():
        pos = -(-pos // _ALIGN) * _ALIGN
        dtype = "<u8" if arr.dtype.kind == "u" else "<i8"
        meta["arrays"][name] = {"offset": pos, "shape": list(arr.shape), "dtype": dtype}
        pos += arr.nbytes
    header = json.dumps(meta, sort_keys=True).encode()
    if len(header) > bound:  # pragma: no cover - the bound covers every key
        raise ValueError("key file header too long")
    body = bytearray(pos - _PREFIX)
    body[: len(header)] = header
    for name, arr in sizes.items():
        off = meta["arrays"][name]["offset"] - _PREFIX
        body[off : off + arr.nbytes] = arr.tobytes()
    digest = blake3.blake3(bytes(body), max_threads=blake3.blake3.AUTO).digest()
    target = Path(path)
    # A temporary name of its own: two processes filling one cache entry at
    # once never write into the same file (O_EXCL; the mode follows the umask).
    tmp = target.with_name(f"{target.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<II", VERSION, len(header)) + digest)
            f.write(body)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _array(buf: Any, spec: Any, name: str, size: int, where: str) -> np.ndarray:
    try:
        off, shape, dtype = (
            int(spec["offset"]),
            [int(s) for s in spec["shape"]],
            _DTYPES[spec["dtype"]],
        )
    except (KeyError, TypeError, ValueError):
        raise ProofError(f"{where}: malformed entry for array {name!r}") from None
    # Python ints: numpy's product of a crafted shape would wrap around.
    count = math.prod(shape)
    if off % _ALIGN or off < _PREFIX or min(shape, default=0) < 0 or off + 8 * count > size:
        raise ProofError(f"{where}: array {name!r} lies outside the file")
    return np.frombuffer(buf, dtype=dtype, count=count, offset=off).reshape(shape)


def load_proving_key(path: str | PathLike[str]) -> ProvingKey:
    """The proving key saved at ``path``; ProofError if the file is not intact."""
    where = str(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _PREFIX:
                raise ProofError(f"{where} is too short to be a pouw key file")
            buf: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise ProofError(f"cannot read {where}: {exc}") from None
    view = memoryview(buf)
    if bytes(view[:8]) != MAGIC:
        raise ProofError(f"{where} is not a pouw Groth16 key file (wrong magic number)")
    version, hlen = struct.unpack("<II", view[8:16])
    if version != VERSION:
        raise ProofError(f"{where}: key file version {version}, this pouw reads {VERSION}")
    digest = blake3.blake3(view[_PREFIX:], max_threads=blake3.blake3.AUTO).digest()
    if digest != bytes(view[16:48]):
        raise ProofError(f"{where} is corrupt or truncated (its BLAKE3 digest does not match)")
    try:
        meta = json.loads(bytes(view[_PREFIX : _PREFIX + hlen]))
        specs = dict(meta["arrays"])
        n_wires, n_public, domain = (
            int(meta["n_wires"]),
            int(meta["n_public"]),
            int(meta["domain_size"]),
        )
    except (ValueError, KeyError, TypeError):
        raise ProofError(f"{where}: malformed header") from None
    try:
        arr = {name: _array(buf, spec, name, size, where) for name, spec in specs.items()}
        pk = _build(arr, n_wires, n_public, domain)
        if "label" in meta:
            pk.cache["label"] = meta["label"]
        for name, window in dict(meta.get("msm_windows", {})).items():
            n = len(getattr(pk, name))
            pk.cache[f"msm:{name}"] = context_from_table(name, arr[f"table:{name}"], int(window), n)
        return pk
    except (KeyError, ValueError, IndexError, StopIteration, AttributeError, TypeError) as exc:
        raise ProofError(f"{where}: inconsistent key file ({exc})") from None


def _build(arr: dict[str, np.ndarray], n_wires: int, n_public: int, domain: int) -> ProvingKey:
    def g1(name: str, n: int) -> G1Array:
        a = arr[name]
        if a.shape != (n, 8):
            raise ValueError(f"{name} has shape {a.shape}, expected ({n}, 8)")
        return G1Array._wrap(a)

    def g2(name: str, n: int) -> G2Array:
        a = arr[name]
        if a.shape != (n, 16):
            raise ValueError(f"{name} has shape {a.shape}, expected ({n}, 16)")
        return G2Array._wrap(a)

    def matrix(name: str) -> SparseMatrix:
        ptr, cols, vals = arr[f"{name}_row_ptr"], arr[f"{name}_cols"], arr[f"{name}_values"]
        if ptr.ndim != 1 or cols.ndim != 1 or vals.shape != (len(cols), 4) or len(ptr) < 1:
            raise ValueError(f"matrix {name} has inconsistent shapes")
        return SparseMatrix(ptr, cols, FrArray._wrap(vals))

    fixed1 = g1("g1", 3).to_ints()
    fixed2 = g2("g2", 3).to_ints()
    ic = g1("ic", n_public + 1).to_ints()
    vk = VerifyingKey(fixed1[0], fixed2[0], fixed2[1], fixed2[2], tuple(ic))
    return ProvingKey(
        vk=vk,
        n_wires=n_wires,
        n_public=n_public,
        domain_size=domain,
        beta_g1=fixed1[1],
        delta_g1=fixed1[2],
        a_query=g1("a_query", n_wires),
        b_g1_query=g1("b_g1_query", n_wires),
        b_g2_query=g2("b_g2_query", n_wires),
        c_query=g1("c_query", n_wires - n_public - 1),
        h_query=g1("h_query", domain),
        a=matrix("a"),
        b=matrix("b"),
        c=matrix("c") if "c_row_ptr" in arr else None,
    )


def _cache_dir() -> Path:
    base = os.environ.get("POUW_CACHE_DIR")
    if base:
        return Path(base) / "groth16"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "pouw" / "groth16"


def load_zkey_cached(
    zkey_path: str | PathLike[str], cache_dir: str | PathLike[str] | None = None
) -> ProvingKey:
    """The proving key of a snarkjs ``.zkey``, validated once and then cached.

    The cache entry is pouw's key file named by the BLAKE3 digest of the
    ``.zkey``'s bytes, in ``cache_dir`` (default ``$POUW_CACHE_DIR/groth16``,
    else ``$XDG_CACHE_HOME/pouw/groth16`` or ``~/.cache/pouw/groth16``): the
    first call imports with full validation (:func:`~pouw.zk.formats.read_zkey`,
    seconds for a large key) and saves; later calls with the same bytes open
    the key file in milliseconds.  A changed ``.zkey`` has another digest, so
    it is imported afresh; a corrupt cache entry is re-imported too.
    """
    from ..formats.zkey import read_zkey

    try:
        data = Path(zkey_path).read_bytes()
    except OSError as exc:
        raise ProofError(f"cannot read {zkey_path}: {exc}") from None
    digest = blake3.blake3(data, max_threads=blake3.blake3.AUTO).hexdigest()
    folder = Path(cache_dir) if cache_dir is not None else _cache_dir()
    entry = folder / f"{digest}.pkey"
    if entry.exists():
        try:
            return load_proving_key(entry)
        except ProofError:
            pass  # a damaged entry: import again and replace it
    # Parse the very bytes that were hashed: the file may change meanwhile.
    pk, _ = read_zkey(data, name=str(zkey_path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        save_proving_key(pk, entry)
    except OSError:
        pass  # a read-only cache only costs speed
    return pk
