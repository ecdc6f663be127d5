"""The node's HTTP API for remote provers (needs the ``server`` extra).

* :func:`create_app` -- the Starlette ASGI app serving one
  :class:`~pouw.node.NodeContext`;
* :func:`serve` -- run it under uvicorn until SIGINT/SIGTERM;
* :mod:`pouw.server.auth` -- worker tokens; :mod:`pouw.server.client` -- the
  HTTP client the worker and the CLI use.
"""

from .app import create_app
from .run import serve

__all__ = ["create_app", "serve"]
