"""Write the self-describing vectors fields.json, curves.json, traces.json and poseidon.json.

Every expected value comes from an implementation independent of pouw's kernels
(Python ints for Fr and Fq, py_ecc.optimized_bn128 for G1, G2 and the pairing,
the blake3 package for ids and hashes, pouw._reference for the VM and the trace
constraints, light-poseidon for Poseidon up to 12 inputs and pouw._reference
beyond); pouw is asserted to agree before anything is written. Inputs come
from fixed labels, so a rerun writes identical files. From the repository root::

    .venv/bin/python tests/vectors/make_vectors.py           # (re)write the files
    .venv/bin/python tests/vectors/make_vectors.py --check   # compare them, write nothing

One module a file: gen_fields.py, gen_curves.py, gen_traces.py, gen_poseidon.py
(gen_common.py holds what they share).  tests/test_vectors.py checks pouw against
the files (tests/test_vectors_poseidon.py against poseidon.json).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the gen_* modules beside this file, however it is loaded
    sys.path.insert(0, str(HERE))

from gen_common import REGEN, render  # noqa: E402
from gen_curves import curves_doc  # noqa: E402
from gen_fields import fields_doc  # noqa: E402
from gen_poseidon import poseidon_doc  # noqa: E402
from gen_traces import traces_doc  # noqa: E402

DOCS = {
    "fields.json": fields_doc,
    "curves.json": curves_doc,
    "traces.json": traces_doc,
    "poseidon.json": poseidon_doc,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the files; write nothing"
    )
    args = parser.parse_args(argv)
    stale = []
    for name, make in DOCS.items():
        text = render(make())
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE.parent.parent)} ({len(text.encode())} bytes)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run {REGEN}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
