"""Deprecated: the ``groth16`` command moved to :mod:`pouw.cli.groth16` (this
path goes in the next release).

The zk layer holds no command-line code; this shim only keeps old imports and
``python -m pouw.zk.cli groth16 ...`` working meanwhile.
"""

import sys

from .._moved import alias, warn_moved

if __name__ == "__main__":  # python -m pouw.zk.cli
    warn_moved("pouw.zk.cli", "pouw.cli.groth16 (or: pouw groth16 ...)", stacklevel=2)
    from pouw.cli.groth16 import main

    sys.exit(main())
else:
    alias(__name__, "pouw.cli.groth16")
