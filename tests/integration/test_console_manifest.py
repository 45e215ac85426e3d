"""The console's Kubernetes Deployment, run as written: its settings start a console whose /healthz answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from govmesh.cli import supervisor
from tests.integration.ports import free_port
from tests.unit.test_deployment import OVERLAY, console_settings, render


def test_the_console_deployments_settings_start_a_console_that_answers_its_probe(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMESH_")}
    env.update({f"GOVMESH_{k.upper()}": v for k, v in console_settings(render(OVERLAY)).items()})
    # Loopback and a free port on this machine instead of a pod's own network, and no metrics port that
    # another process here may hold; every other setting as deployed.
    port = free_port()
    env.update(
        GOVMESH_CONSOLE_HOST="127.0.0.1",
        GOVMESH_CONSOLE_PORT=str(port),
        GOVMESH_METRICS_PORT="0",
        GOVMESH_DATA_DIR=str(tmp_path),
    )
    console = subprocess.Popen(
        [sys.executable, "-m", "govmesh.cli", "serve", "console"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        healthy = supervisor.wait_http_healthy(f"http://127.0.0.1:{port}/healthz", timeout=60, process=console)
        assert healthy, (console.stdout.read() if console.poll() is not None and console.stdout else b"")[-2000:]
    finally:
        console.terminate()
        console.wait(30)
