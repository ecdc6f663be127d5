"""Deprecated: the HTTP API moved to :mod:`pouw.remote` (this package goes in the
next release). ``pouw.server.<module>`` is :mod:`pouw.remote.<module>`, except
``pouw.server.run``, which is :mod:`pouw.remote.serving`."""

from .._moved import warn_moved

warn_moved(__name__, "pouw.remote")

from ..remote.app import create_app  # noqa: E402 - after the warning
from ..remote.serving import serve  # noqa: E402

__all__ = ["create_app", "serve"]
