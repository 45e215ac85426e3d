"""Where each process serves /metrics, and what the certificate-expiry gauge reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govmesh.runtime import issuance
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.prometheus import days_to_expiry


def test_each_process_gets_the_base_port_plus_its_offset_and_zero_turns_metrics_off() -> None:
    on = Settings(metrics_port=9460)
    assert [on.metrics_port_of(s) for s in ("gateway", "catalog", "authz", "exchange")] == [9460, 9461, 9462, 9463]
    assert on.metrics_port_of("something-new") > 9463
    assert Settings().metrics_port_of("gateway") == 0


def test_days_to_expiry_reads_the_ca_the_gateway_and_the_earliest_ca_of_a_rotation_bundle(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path)
    authority.init(days=100)
    authority.issue_server(days=30)
    now = dt.datetime.now(dt.UTC)
    days = days_to_expiry(tmp_path, "exchange", now)
    assert set(days) == {"ca", "gateway"} and 99 < days["ca"] <= 100 and 29 < days["gateway"] <= 30

    issuance.begin_ca_rotation(authority, days=3650)
    assert 99 < days_to_expiry(tmp_path, "exchange", now)["ca"] <= 100  # the previous CA still expires first
    (tmp_path / "service-exchange.pem").write_bytes(authority.path("gateway", "pem").read_bytes())
    assert "service-exchange" in days_to_expiry(tmp_path, "exchange", now)
