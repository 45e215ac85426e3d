"""Per-RPC and per-principal metrics of the gateway — calls, errors, latency — recorded in the forwarding path."""

from __future__ import annotations

from opentelemetry import metrics

# The gateway does without the services' metrics interceptor (an extra await and wrapper per call),
# so the forwarding path records these itself; attribute sets are built once per method, principal
# and status and then reused.
_OK = "OK"


class CallMetrics:
    """`govmesh.rpc.calls`, `govmesh.rpc.errors` and `govmesh.rpc.duration` (ms) of the `govmesh.gateway` meter.

    Every instrument carries `rpc.method` and `govmesh.principal`; errors also carry
    `rpc.grpc.status_code` (the code's name), so refusals (UNAUTHENTICATED, RESOURCE_EXHAUSTED…)
    and upstream failures can be told apart.
    """

    def __init__(self, meter: metrics.Meter | None = None):
        meter = meter or metrics.get_meter("govmesh.gateway")
        self._calls = meter.create_counter("govmesh.rpc.calls", description="RPCs handled by the gateway")
        self._errors = meter.create_counter("govmesh.rpc.errors", description="RPCs that ended in an error status")
        self._latency = meter.create_histogram(
            "govmesh.rpc.duration", unit="ms", description="Time from receiving a call to its last message"
        )
        self._attributes: dict[tuple[str, str, str], dict[str, str]] = {}

    def _attrs(self, method: str, principal: str, code: str) -> dict[str, str]:
        key = (method, principal, code)
        found = self._attributes.get(key)
        if found is None:
            found = {"rpc.method": method, "govmesh.principal": principal}
            if code != _OK:
                found["rpc.grpc.status_code"] = code
            self._attributes[key] = found
        return found

    def record(self, method: str, principal: str, seconds: float, code: str = _OK) -> None:
        """One finished call; `code` is the name of its status code."""
        plain = self._attrs(method, principal, _OK)
        self._calls.add(1, plain)
        self._latency.record(seconds * 1000.0, plain)
        if code != _OK:
            self._errors.add(1, self._attrs(method, principal, code))
