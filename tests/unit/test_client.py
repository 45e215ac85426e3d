"""Unit tests for the department client library's service config: retries for reads, deadlines for unary calls."""

from __future__ import annotations

import json

from govmesh.client import MethodShape, public_services, service_config


def _configs(services: dict[str, list[MethodShape]]) -> dict[str, dict[str, object]]:
    by_method = {}
    for config in json.loads(service_config(services))["methodConfig"]:
        for name in config["name"]:
            by_method[name["method"]] = config
    return by_method


def test_reads_are_retried_on_unavailable_and_writes_are_not() -> None:
    configs = _configs(
        {"catalog.v1.CatalogService": [MethodShape("GetSubject"), MethodShape("CreateItem"), MethodShape("Search")]}
    )
    assert configs["GetSubject"]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]  # type: ignore[index]
    assert configs["GetSubject"]["timeout"] == "10s"
    assert "retryPolicy" not in configs["CreateItem"] and configs["CreateItem"]["timeout"] == "30s"
    assert "retryPolicy" in configs["Search"]


def test_streams_get_no_default_deadline_and_plain_streams_no_config_at_all() -> None:
    configs = _configs(
        {
            "exchange.v1.ExchangeService": [
                MethodShape("Subscribe", server_streaming=True),
                MethodShape("ListRequests"),
            ],
            "catalog.v1.CatalogService": [MethodShape("ValidateRecordStream", True, True)],
        }
    )
    assert "Subscribe" not in configs
    assert "timeout" not in configs["ValidateRecordStream"] and "retryPolicy" in configs["ValidateRecordStream"]


def test_every_public_service_is_configured() -> None:
    services = public_services()
    assert {
        "catalog.v1.CatalogService",
        "authz.v1.AuthzService",
        "exchange.v1.ExchangeService",
        "masters.v1.MastersService",
        "gateway.v1.GatewayService",
    } <= set(services)
    configs = _configs(services)
    assert "retryPolicy" in configs["WhoAmI"] and "retryPolicy" in configs["Check"]
    assert "retryPolicy" not in configs["Publish"]
