"""`govmesh up` as a user runs it: every process starts, the gateway answers, Ctrl-C stops them all."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority
from tests.integration.ports import free_port


def _start_up(
    data_dir: Path, database_url: str, gateway_port: int, console_port: int | None = None, **extra: str
) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        GOVMESH_GATEWAY_PORT=str(gateway_port),
        GOVMESH_HTTP_PORT=str(free_port()),
        GOVMESH_CONSOLE_PORT=str(console_port or free_port()),
        GOVMESH_CATALOG_PORT=str(free_port()),
        GOVMESH_AUTHZ_PORT=str(free_port()),
        GOVMESH_EXCHANGE_PORT=str(free_port()),
        GOVMESH_MASTERS_PORT=str(free_port()),
        GOVMESH_WARNINGS_PORT=str(free_port()),
        GOVMESH_DATABASE_URL=database_url,
        GOVMESH_SHUTDOWN_GRACE_SECONDS="2",
        **extra,
    )
    env.pop("GOVMESH_DATA_DIR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "govmesh.cli", "up", "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 120) -> str:
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"never printed {needle!r}:\n{''.join(seen)}")


def _stats(data_dir: Path, port: int) -> pb.GetCatalogStatsResponse:
    authority = CertificateAuthority(data_dir / "certs")
    pair = authority.key_pair("department-LTAX")
    creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
    with grpc.secure_channel(f"127.0.0.1:{port}", creds) as channel:
        return catalog_pb2_grpc.CatalogServiceStub(channel).GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=10)


def _console_home(data_dir: Path, console_port: int, principal: str) -> str:
    """Signs in to the console `up` started with a `govmesh console login` link; returns the home page."""
    env = dict(os.environ, GOVMESH_DATA_DIR=str(data_dir), GOVMESH_CONSOLE_PORT=str(console_port))
    printed = subprocess.run(
        [sys.executable, "-m", "govmesh.cli", "console", "login", "--as", principal, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    link = json.loads(printed.stdout)["url"]
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    with browser.open(link, timeout=10) as confirm:
        assert f"Sign in as {principal}" in confirm.read().decode()
    form = urllib.parse.urlencode({"token": token}).encode()
    with browser.open(f"http://127.0.0.1:{console_port}/login", data=form, timeout=30) as home:
        return str(home.read().decode())


def _run_once(data_dir: Path, database_url: str) -> tuple[str, pb.GetCatalogStatsResponse]:
    port, console_port = free_port(), free_port()
    process = _start_up(data_dir, database_url, port, console_port)
    try:
        printed = _wait_for_line(process, "Ctrl-C stops every process")
        stats = _stats(data_dir, port)
        # The console answers as the principal of the link, through the gateway (the home page calls WhoAmI).
        assert "Signed in as <b>department/LTAX</b>" in _console_home(data_dir, console_port, "department/LTAX")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        rest = process.stdout.read() if process.stdout else ""
        return printed + rest, stats
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_starts_the_mesh_prints_its_endpoints_and_stops_cleanly(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "mesh"
    output, stats = _run_once(data_dir, database_url)
    assert (stats.departments, stats.subjects, stats.items) == (46, 269, 4537)
    assert "catalog" in output and "gateway" in output and "console" in output and "stopped." in output
    assert "HTTP/JSON door: https://127.0.0.1:" in output
    assert (data_dir / "certs" / "department-AIC.pem").exists()
    assert len(list((data_dir / "certs").glob("department-*.pem"))) == 46

    _again_output, again = _run_once(data_dir, database_url)
    assert again.revision == stats.revision  # the catalog was found, not loaded twice


def test_up_with_its_port_taken_fails_at_once_naming_the_port_and_the_reason(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        process = _start_up(tmp_path / "mesh", f"sqlite:///{tmp_path / 'mesh.db'}", port)
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 1
    assert f"127.0.0.1:{port}" in output and "Address already in use" in output
    assert "GOVMESH_GATEWAY_PORT" in output
    assert "starting" not in output  # refused before any process started


def _children(pid: int) -> set[int]:
    """The live processes whose parent is `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent_and_state(int(entry.name))[0] == pid:
            found.add(int(entry.name))
    return found


def _parent_and_state(pid: int) -> tuple[int, str]:
    """(parent pid, state letter) of a process, (0, "gone") when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, "gone"
    # The command name in parentheses may hold spaces; the fields after its closing parenthesis do not.
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return int(parent), state


def _alive(pids: set[int]) -> set[int]:
    # A zombie has stopped running; whoever inherited it reaps it when it will.
    return {pid for pid in pids if _parent_and_state(pid)[1] not in ("gone", "Z")}


def test_every_process_up_started_ends_when_up_itself_is_killed_with_sigkill(tmp_path: Path) -> None:
    process = _start_up(tmp_path / "mesh", f"sqlite:///{tmp_path / 'mesh.db'}", free_port())
    children: set[int] = set()
    try:
        _wait_for_line(process, "Ctrl-C stops every process")
        children = _children(process.pid)
        # catalog, authz, exchange, masters, gateway, console and the warnings application.
        assert len(children) == 7
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 60
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(children) == set(), "orphans of a killed `govmesh up` still run"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for orphan in _alive(children):
            os.kill(orphan, signal.SIGKILL)
