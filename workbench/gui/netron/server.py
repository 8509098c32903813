"""Netron's server for one ONNX file on 127.0.0.1: started on a free port, stopped with its socket released.

Qt-free. ``netron.start`` shares one served file between every server of the process and reconfigures logging
when the application has none; ``start`` keeps each server's file its own and the application's logging as it
was. A lock serialises starts and stops (netron's thread list is module state).
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

_netron_lock = threading.Lock()


def start(path: str) -> tuple:
    """Serve ``path`` on 127.0.0.1 at a free port; each server keeps its own file (netron shares one by default)."""
    import netron
    from netron import server as netron_server

    root = logging.getLogger()
    guard = None
    if not root.hasHandlers():  # netron calls logging.basicConfig() then, reconfiguring the whole application
        guard = logging.NullHandler()
        root.addHandler(guard)
    with _netron_lock:
        try:
            address = netron.start(path, address=("127.0.0.1", 0), browse=False)
        finally:
            if guard is not None:
                root.removeHandler(guard)
        # netron stores the served content on its handler *class*, shared by every server in the process:
        # give this server a handler subclass of its own so that a second view does not change the first.
        try:
            for thread in netron_server._threads(address):
                handler = thread.server.RequestHandlerClass
                thread.server.RequestHandlerClass = type("WorkbenchNetronHandler", (handler,),
                                                         {"content": handler.content})
        except Exception:  # noqa: BLE001 - a netron without those internals still serves one model correctly
            log.debug("could not isolate the netron handler", exc_info=True)
    return tuple(address)


def stop(address: tuple) -> None:
    import netron

    from netron import server as netron_server

    with _netron_lock:
        try:
            threads = list(netron_server._threads(address))
        except Exception:  # noqa: BLE001 - internals of netron; the join below is only a nicety
            threads = []
        try:
            netron.stop(address)
        except Exception:  # noqa: BLE001
            log.warning("stopping netron at %s failed", address, exc_info=True)
        # The listening socket is released once the server thread leaves its select() (<= 0.25 s).
        for thread in threads:
            thread.join(timeout=1.0)


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``host:port``."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
