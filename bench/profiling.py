"""Where a server's time goes: py-spy samples of its process under load, summarized for the report."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import REPO

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Native frames are sampled too (`--native`), so gRPC's Cython, rapidfuzz's C++ and the interpreter show.
# The leaf frame alone decides these; a main thread waiting in epoll is idle and left out.
IDLE_LEAVES = frozenset({"epoll_wait", "epoll_pwait", "poll", "select"})
LEAF_AREAS = {
    "gc_collect_main": "Python cyclic garbage collector",
    "sendmsg": "socket syscalls",
    "recvmsg": "socket syscalls",
    "recv": "socket syscalls",
    "write": "socket syscalls",
    "writev": "socket syscalls",
    "read": "socket syscalls",
    "Handle._run": "gRPC aio Cython code (charged to asyncio Handle._run)",
}
# Otherwise the first match from the leaf up names the area a sample is charged to.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("OpenTelemetry (spans, context, metrics)", ("/opentelemetry/",)),
    ("protobuf (de)serialization", ("/google/protobuf/", "_pb2.py", "_message.")),
    ("rapidfuzz (fuzzy search)", ("/rapidfuzz/",)),
    ("catalog service code", ("/catalog/",)),
    ("gateway forwarding code", ("/gateway/",)),
    ("govmesh interceptors and identity", ("/govmesh/",)),
    ("gRPC aio (Cython server and channel)", ("/grpc/",)),
    ("asyncio event loop", ("/asyncio/", "/selectors.py")),
]
_ROOTS = (str(REPO) + "/", sysconfig.get_paths()["stdlib"] + "/")


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def _parse(frame: str) -> tuple[str, str]:
    matched = _FRAME.match(frame)
    if not matched:
        return frame, ""
    func, file = matched["func"], matched["file"]
    return ("<native>" if func.startswith("0x") else func), file


def short(file: str) -> str:
    """A path as a reader knows it: inside site-packages, the repository or the standard library."""
    for root in _ROOTS:
        if file.startswith(root):
            return file[len(root) :]
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    return file.rsplit("/", 1)[-1]


@dataclass
class Profile:
    """Samples of a process's main thread: by leaf function (self), by function anywhere on the stack, by area."""

    samples: int = 0
    self_time: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)
    areas: Counter[str] = field(default_factory=Counter)
    other_thread_samples: int = 0
    seconds: float = 0.0
    # CPU cores each thread group kept busy in the measured (unprofiled) load this profile explains.
    threads: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_collapsed(cls, text: str) -> Profile:
        """Reads `py-spy record --threads --format raw`; keeps the main thread's samples (the event loop)."""
        profile = cls()
        for line in text.splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            raw = stack.split(";")
            if raw[0].startswith("thread ("):
                thread, raw = raw[0], raw[1:]
                if "MainThread" not in thread:
                    profile.other_thread_samples += count
                    continue
            if not raw:
                continue
            frames = [_parse(f) for f in raw]
            if frames[-1][0] in IDLE_LEAVES:
                continue
            profile.samples += count
            func, file = frames[-1]
            profile.self_time[f"{func} ({short(file)})"] += count
            for name in {f"{func} ({short(file)})" for func, file in frames}:
                profile.inclusive[name] += count
            profile.areas[_area(frames)] += count
        return profile

    def share(self, count: int) -> float:
        return 100.0 * count / self.samples if self.samples else 0.0


def _area(frames: list[tuple[str, str]]) -> str:
    if frames[-1][0] in LEAF_AREAS:
        return LEAF_AREAS[frames[-1][0]]
    for _func, file in reversed(frames):
        for area, needles in AREAS:
            if any(n in file for n in needles):
                return area
    return "other"


async def record(
    pids: dict[str, int], seconds: float, out_dir: Path, load: Callable[[], Awaitable[object]]
) -> dict[str, Profile]:
    """Samples each named process, Python and native frames, while `load()` runs; empty without py-spy.

    py-spy pauses the process for each sample, so the load runs slower than measured; shares stay meaningful.
    """
    binary = py_spy()
    if binary is None:
        return {}
    spies = {}
    for name, pid in pids.items():
        spies[name] = await asyncio.create_subprocess_exec(
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "200",
            "--format",
            "raw",
            "--native",
            "--full-filenames",
            "--threads",
            "--output",
            str(out_dir / f"{name}.pyspy"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    await asyncio.sleep(0.5)  # let py-spy attach before the load starts
    began = time.monotonic()
    await load()
    elapsed = time.monotonic() - began
    profiles = {}
    for name, spy in spies.items():
        try:
            _, err = await asyncio.wait_for(spy.communicate(), timeout=seconds + 30)
        except TimeoutError:
            spy.kill()
            await spy.wait()
            continue
        out = out_dir / f"{name}.pyspy"
        if spy.returncode != 0 or not out.exists():
            print(f"py-spy failed on {name}: {err.decode(errors='replace').strip()[-300:]}", file=sys.stderr)
            continue
        profile = Profile.from_collapsed(out.read_text(errors="replace"))
        profile.seconds = elapsed
        profiles[name] = profile
    return profiles
