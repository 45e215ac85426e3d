"""A supervised process ends when its supervisor does, even one killed by SIGKILL that could not stop it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

# The supervisor's pid, set in each child's environment by `Supervisor.start`.
SUPERVISOR_PID = "GOVMESH_SUPERVISOR_PID"
# From <linux/prctl.h>: the signal the kernel sends a process when the thread that started it exits.
PR_SET_PDEATHSIG = 1
# How often the portable fallback looks at its parent.
POLL_SECONDS = 1.0


def _ask_the_kernel(sig: signal.Signals) -> bool:
    """PR_SET_PDEATHSIG on Linux; False where there is no such call."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)


def _watch(supervisor: int, sig: signal.Signals) -> None:
    while os.getppid() == supervisor:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), sig)


def die_with_supervisor(sig: signal.Signals = signal.SIGTERM) -> None:
    """When this process was started by a supervisor, sends it `sig` (a graceful stop) once that supervisor is gone.

    The children of `govmesh up` run in their own sessions so that a Ctrl-C reaches only the
    supervisor, which then stops them in order; but a supervisor killed outright stops nobody,
    and its orphans would go on serving (and retrying their peers) for good.
    """
    supervisor = os.environ.get(SUPERVISOR_PID, "")
    if not supervisor.isdigit():
        return
    if not _ask_the_kernel(sig):
        threading.Thread(target=_watch, args=(int(supervisor), sig), name="lifeline", daemon=True).start()
    # The supervisor may have died before the call above: then this process is already someone else's child.
    if os.getppid() != int(supervisor):
        os.kill(os.getpid(), sig)
