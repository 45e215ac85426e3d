"""`govmesh chaos`, short: the gateway and the exchange killed, a consumer paused and PostgreSQL restarted mid-workload.

PostgreSQL is a cluster of the test's own (see test_exchange_postgres_outage.py), so the restart
never touches the server every other test uses.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import grpc
import psycopg
import pytest

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.mesh import Mesh
from tests.integration.test_exchange_postgres_outage import PrivateCluster, private_cluster  # noqa: F401

# Seed 78 restarts PostgreSQL, pauses the consumer, then kills the gateway and the exchange, in that order.
SEED = "78"
FIRST_FAULTS = ["postgresql", "consumer", "gateway", "exchange"]


def _chaos(private_cluster: PrivateCluster, tmp_path: Path) -> dict[str, object]:  # noqa: F811
    admin = f"postgresql://postgres@127.0.0.1:{private_cluster.port}/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
        connection.execute('CREATE DATABASE "chaos"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:{private_cluster.port}/chaos"
    restart = f"pg_ctlcluster --skip-systemctl-redirect {private_cluster.version} {private_cluster.name} restart"
    command = [sys.executable, "-m", "govmesh.cli", "chaos", "--seconds", "15", "--kill-every", "1.5"]
    command += ["--seed", SEED, "--pause-seconds", "3", "--restart-postgres", restart]
    command += ["--data-dir", str(tmp_path), "--database-url", url, "--json"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert ran.stdout.strip(), ran.stderr[-3000:]
    report: dict[str, object] = json.loads(ran.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.postgres_outage
def test_faults_mid_workload_lose_nothing_deliver_nothing_unentitled_and_leave_the_ledger_whole(
    private_cluster: PrivateCluster,  # noqa: F811
    tmp_path: Path,
) -> None:
    report = _chaos(private_cluster, tmp_path)
    assert report["faults"][: len(FIRST_FAULTS)] == FIRST_FAULTS, report  # type: ignore[index]
    assert report["postgres_restart_exit_codes"] == [0] and report["consumer_pauses"] == 1, report
    assert report["accepted_records"] > 0 and report["undelivered_records"] == []  # type: ignore[operator]
    # The quality bureau held its extra item for a while: deliveries carried it then, and never outside.
    assert report["grant_cycles"] and report["grant_errors"] == []
    assert report["unentitled_deliveries"] == []
    assert report["requests_without_final_state"] == []
    assert report["ledger_verified"] is True and report["ledger_entries"] > 0  # type: ignore[operator]
    # Every refusal is in the audit log, found by its trace id, kills notwithstanding.
    assert report["denials"] > 0 and report["denials_missing_from_audit"] == [], report  # type: ignore[operator]


async def test_every_refusal_of_a_repeated_request_is_in_the_audit_log(exchange_mesh: Mesh) -> None:
    """Every refusal of a repeated request is audited, not only the first at a policy revision."""
    police = exchange_mesh.exchange_stub("department/PSB")
    traces = []
    for n in range(3):
        trace_id, span_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
        draft = pb.Subscription(subject="subjects/102.001", items=["102.001.030"])  # NOT_SHARED: never granted
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await police.CreateSubscription(
                pb.CreateSubscriptionRequest(subscription=draft, subscription_id=f"refused-{n}"),
                metadata=(("traceparent", f"00-{trace_id}-{span_id}-01"),),
            )
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        traces.append(trace_id)
    auditor = exchange_mesh.authz_stub("auditor/audit")

    async def audited(trace_id: str) -> bool:
        request = apb.ListAuditEntriesRequest(trace_id=trace_id, decision=apb.DECISION_DENY)
        return bool((await auditor.ListAuditEntries(request)).entries)

    # The exchange writes its denials to the audit log in the background, every half second.
    for _ in range(50):
        found = [await audited(t) for t in traces]
        if all(found):
            break
        await asyncio.sleep(0.2)
    assert found == [True, True, True]
