"""`govmesh up`: every service in its own process on loopback, the gateway in front, one Ctrl-C to stop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govmesh.cli import lifeline
from govmesh.runtime.certs import GATEWAY_NAME, SERVICE_CODES, CertificateAuthority, service_host_name
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal, PrincipalKind

# A service certificate this close to its end is reissued at the next `govmesh up`.
RENEW_BEFORE = dt.timedelta(days=30)
# Hub roles that get a certificate on first start, beside one per department.
ROLE_PRINCIPALS = (
    Principal(PrincipalKind.MAINTAINER, "ops"),
    Principal(PrincipalKind.ADMINISTRATOR, "hub"),
    Principal(PrincipalKind.AUDITOR, "audit"),
)
# Mesh services that call others as themselves: the masters service reads the catalog as `service/masters`.
SERVICE_PRINCIPALS = (Principal(PrincipalKind.SERVICE, "masters"),)
# Applications with a certificate of their own (`application-<name>.pem`), acting as the department
# that runs them: their own key and serial, revocable alone, under that department's grants.
APPLICATION_CERTIFICATES = {"warnings": Principal(PrincipalKind.DEPARTMENT, "INFO")}


def ensure_development_certificates(settings: Settings, department_codes: list[str]) -> Path:
    """Creates the development CA, the gateway's certificate and one per department and role, once.

    Each mesh service gets its own certificate (`service-<code>`) for its internal port and its
    calls to the others; one missing, expired or within RENEW_BEFORE of its end is issued afresh,
    so every `govmesh up` leaves the services with current certificates.
    """
    authority = CertificateAuthority(settings.data_dir / "certs")
    authority.init()
    if not authority.has(GATEWAY_NAME):
        authority.issue_server()
    for principal in [
        *(Principal(PrincipalKind.DEPARTMENT, c) for c in department_codes),
        *ROLE_PRINCIPALS,
        *SERVICE_PRINCIPALS,
    ]:
        if not authority.has(f"{principal.kind}-{principal.code}"):
            authority.issue_client(principal)
    for application, principal in APPLICATION_CERTIFICATES.items():
        if not authority.has(f"application-{application}"):
            authority.issue_client(principal, name=f"application-{application}", holder=f"application/{application}")
    renew_from = dt.datetime.now(dt.UTC) + RENEW_BEFORE
    revoked = authority.revoked_serials()
    for code in SERVICE_CODES:
        name = f"service-{code}"
        current = authority.certificate(name) if authority.has(name) else None
        if current is None or current.not_valid_after_utc <= renew_from or current.serial_number in revoked:
            authority.issue_service(code)
    return authority.directory


def port_problem(address: str) -> str | None:
    """Why a process could not listen on `host:port` right now (the OS's own words), or None if it could."""
    host, _, port = address.rpartition(":")
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The servers set SO_REUSEADDR too, so a port in TIME_WAIT is not reported as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), int(port)))
        except OSError as error:
            return error.strerror or str(error)
    return None


def wait_healthy(
    address: str,
    *,
    timeout: float,
    credentials_dir: Path | None = None,
    process: subprocess.Popen[bytes] | None = None,
    service: str | None = None,
    client: str = "admin-hub",
) -> bool:
    """Polls grpc.health.v1 until the process reports SERVING, exits, or the time runs out.

    With `credentials_dir`, the check goes over mutual TLS as the hub administrator; with
    `service` too, it checks that the process presents that mesh service's certificate.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            if credentials_dir is None:
                channel = grpc.insecure_channel(address)
            else:
                authority = CertificateAuthority(credentials_dir)
                pair = authority.key_pair(client)
                creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
                options = [("grpc.ssl_target_name_override", service_host_name(service))] if service else []
                channel = grpc.secure_channel(address, creds, options=options)
            with channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
        except grpc.RpcError:
            pass
        time.sleep(0.2)
    return False


def wait_http_healthy(url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Polls an HTTP health endpoint (the console's /healthz) until it answers 200, the process exits or time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1.0) as reply:  # noqa: S310 - our own loopback URL
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


class Supervisor:
    """Starts the processes in order, watches them, and stops them all on a signal or a crash."""

    def __init__(self, settings: Settings, env: dict[str, str]):
        self.settings = settings
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, service: str, address: str) -> subprocess.Popen[bytes]:
        log_path = self.settings.data_dir / "logs" / f"{service}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no user input
            [sys.executable, "-m", "govmesh.cli", "serve", service],
            # The child ends itself if this process dies without stopping it (see lifeline.py).
            env={**self.env, lifeline.SUPERVISOR_PID: str(os.getpid())},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[service] = process
        return process

    def stop_all(self, grace: float) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace + 2
        for process in self.processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def first_exited(self) -> str | None:
        for service, process in self.processes.items():
            if process.poll() is not None:
                return service
        return None


def child_environment(settings: Settings, trace_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GOVMESH_DATA_DIR"] = str(settings.data_dir.resolve())
    env.setdefault("GOVMESH_TRACE_FILE", str(trace_file))
    return env


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def gateway_endpoint(settings: Settings) -> str:
    return f"{settings.gateway_host}:{settings.gateway_port}"


def http_endpoint(settings: Settings) -> str:
    """The gateway's HTTP/JSON door, as a URL."""
    scheme = "https" if settings.gateway_tls else "http"
    return f"{scheme}://{settings.gateway_host}:{settings.http_port}"


async def wait_for_stop_or_crash(supervisor: Supervisor) -> str | None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        crashed = supervisor.first_exited()
        if crashed:
            return crashed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
    return None
