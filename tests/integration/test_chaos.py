"""`govmesh chaos`, short: the gateway and the exchange die by SIGKILL mid-workload; no invariant breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import _postgres_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def test_killing_the_gateway_and_the_exchange_mid_workload_loses_nothing_and_leaves_the_ledger_whole(
    postgres_url: str, tmp_path: Path
) -> None:
    # Seed 6 kills the gateway first, then the exchange.
    command = [sys.executable, "-m", "govmesh.cli", "chaos", "--seconds", "10", "--kill-every", "1", "--seed", "6"]
    command += ["--data-dir", str(tmp_path), "--database-url", postgres_url, "--json"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-3000:]
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    assert report["kills"][:2] == ["gateway", "exchange"]
    assert report["accepted_records"] > 0 and report["undelivered_records"] == []
    assert report["unentitled_deliveries"] == [] and report["requests_without_final_state"] == []
    assert report["ledger_verified"] is True and report["ledger_entries"] > 0
