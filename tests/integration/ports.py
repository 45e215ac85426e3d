"""Free loopback ports for tests that start whole processes, so parallel runs never meet on a default port."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1, never one this process was given before.

    The kernel may give a just-closed probe's port again, so two settings of one mesh could
    otherwise get the same port.
    """
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
