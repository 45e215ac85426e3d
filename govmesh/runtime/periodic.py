"""Background work a service process runs for good: periodic steps and followers, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("govmesh.periodic")


class BackgroundTasks:
    """Tasks started on the running loop and cancelled together when the process stops."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[Any]] = []

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        """Runs a follower (a loop of its own) until stopped."""
        self._tasks.append(asyncio.get_running_loop().create_task(work))

    def every(self, seconds: float, what: str, step: Callable[[], object], *, at_once: bool = False) -> None:
        """Runs `step` in a worker thread every `seconds` (first at once, or after one period).

        A failure (the database restarting) is logged and the step runs again next period, so a
        passing outage never stops the process's upkeep.
        """
        self.start(_every(seconds, what, step, at_once))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


async def _every(seconds: float, what: str, step: Callable[[], object], at_once: bool) -> None:
    if not at_once:
        await asyncio.sleep(seconds)
    while True:
        try:
            await asyncio.to_thread(step)
        except Exception:
            log.warning("%s failed; retrying in %.2fs", what, seconds, exc_info=True)
        await asyncio.sleep(seconds)
