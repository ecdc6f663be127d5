"""Remote proving over HTTP (needs the ``server`` extra): the node's API, its
client and the remote worker.

* :mod:`pouw.remote.app` -- :func:`create_app`, the Starlette ASGI app serving
  one :class:`~pouw.node.NodeContext`, with its request pieces beside it:
  :mod:`~pouw.remote.auth` (worker tokens), :mod:`~pouw.remote.limits` (rate
  limits), :mod:`~pouw.remote.bodies` (request bodies),
  :mod:`~pouw.remote.errors` (error answers), :mod:`~pouw.remote.metrics`
  (Prometheus counters), :mod:`~pouw.remote.openapi` (the schema);
* :mod:`pouw.remote.serving` -- :func:`serve`, the app under uvicorn until
  SIGINT/SIGTERM;
* :mod:`pouw.remote.client` -- :class:`NodeClient`, the HTTP client of the
  worker and the CLI;
* :mod:`pouw.remote.worker` -- :class:`RemoteWorker`, a prover that claims,
  proves and submits jobs over HTTP.

The names load on first use: a worker (httpx only) does not import Starlette,
uvicorn or the node.
"""

from __future__ import annotations

from .._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:  # the static view of the lazy names below
    from .app import create_app
    from .client import NodeClient
    from .serving import serve
    from .worker import RemoteWorker

__all__ = ["create_app", "serve", "NodeClient", "RemoteWorker"]

_LAZY = {
    "create_app": "app",
    "serve": "serving",
    "NodeClient": "client",
    "RemoteWorker": "worker",
}

if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, frozenset())
