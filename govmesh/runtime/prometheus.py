"""A Prometheus scrape endpoint beside OTLP, and the certificate-expiry gauge every process reports."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from opentelemetry import metrics
from opentelemetry.sdk.metrics.export import MetricReader

log = logging.getLogger("govmesh.metrics")


def start_endpoint(port: int, host: str) -> MetricReader:
    """Serves /metrics on host:port from a reader of this process's meter provider (the caller installs it)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import start_http_server

    reader = PrometheusMetricReader()
    start_http_server(port, addr=host)
    log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
    return reader


def certificate_files(certs_dir: Path, service: str) -> dict[str, Path]:
    """The certificates whose expiry this process cares about: the CA(s), the gateway's, its own service's."""
    names = {"ca": certs_dir / "ca.pem", "gateway": certs_dir / "gateway.pem"}
    names[f"service-{service}"] = certs_dir / f"service-{service}.pem"
    return {name: path for name, path in names.items() if path.exists()}


def days_to_expiry(certs_dir: Path, service: str, now: dt.datetime | None = None) -> dict[str, float]:
    """Days until each certificate expires; with a CA bundle (during a rotation) the earliest CA counts."""
    moment = now or dt.datetime.now(dt.UTC)
    found: dict[str, float] = {}
    for name, path in certificate_files(certs_dir, service).items():
        try:
            certificates = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError):  # half-written during a renewal: the next scrape reads it
            continue
        soonest = min(c.not_valid_after_utc for c in certificates)
        found[name] = round((soonest - moment).total_seconds() / 86400, 3)
    return found


def observe_certificates(certs_dir: Path, service: str) -> None:
    """Registers `govmesh.certificate.days_to_expiry` (label `certificate`), read at each scrape."""

    def observe(_options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
        for name, days in days_to_expiry(certs_dir, service).items():
            yield metrics.Observation(days, {"certificate": name})

    metrics.get_meter("govmesh.runtime").create_observable_gauge(
        "govmesh.certificate.days_to_expiry",
        callbacks=[observe],
        unit="d",
        description="days until the certificate expires (the earliest of a CA bundle)",
    )
