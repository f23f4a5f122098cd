"""Adapters that put a simulated device on a byte link: in-process, pty, TCP and BLE.

The pty, TCP and runner modules load on first use: the pty server needs POSIX
terminals, and ``import irlink.sim.serve`` should work (and stay light) without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from irlink.sim.serve.inproc import Pipe

if TYPE_CHECKING:
    from irlink.sim.serve.pty import PtyServer
    from irlink.sim.serve.runner import Fleet, build_devices
    from irlink.sim.serve.tcp import TcpServer
    from irlink.sim.serve.threads import serve_in_thread

__all__ = ["Fleet", "Pipe", "PtyServer", "TcpServer", "build_devices", "serve_in_thread"]

_LAZY = {
    "Fleet": "runner",
    "PtyServer": "pty",
    "TcpServer": "tcp",
    "build_devices": "runner",
    "serve_in_thread": "threads",
}


def __getattr__(name: str) -> Any:
    """Load the serving adapters when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
