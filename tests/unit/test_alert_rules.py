"""deploy/prometheus/alerts.yml: valid rules over metrics govmesh exports, each pointing at its runbook section."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RUNBOOK = ROOT / "docs" / "operations.md"
# What the processes export (tests/integration/test_metrics.py scrapes them), plus Prometheus's own `up`.
EXPORTED = {
    "up",
    "govmesh_rpc_calls_total",
    "govmesh_rpc_errors_total",
    "govmesh_rpc_duration_milliseconds_bucket",
    "govmesh_exchange_consumer_lag",
    "govmesh_exchange_dead_letters",
    "govmesh_exchange_ledger_head",
    "govmesh_exchange_ledger_outbox",
    "govmesh_authz_denials_total",
    "govmesh_certificate_days_to_expiry_days",
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
PAIRS = {")": "(", "]": "[", "}": "{"}


def balanced(expr: str) -> bool:
    """Brackets match and quotes close, outside string literals."""
    stack: list[str] = []
    quote = ""
    for char in expr:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            stack.append(char)
        elif char in PAIRS and (not stack or stack.pop() != PAIRS[char]):
            return False
    return not stack and not quote


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    found = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and set(document) == {"groups"}
    names = [g["name"] for g in document["groups"]]
    assert len(names) == len(set(names)), "group names must be unique"
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_is_a_well_formed_alert_with_severity_summary_and_runbook() -> None:
    found = rules()
    assert len(found) >= 8
    alerts = [r["alert"] for r in found]
    assert len(alerts) == len(set(alerts))
    sections = anchors(RUNBOOK.read_text(encoding="utf-8"))
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"Govmesh[A-Z][A-Za-z]+", rule["alert"])
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
        assert rule["annotations"]["summary"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/operations.md" and anchor in sections, f"{rule['alert']}: no section #{anchor}"


def test_every_expression_is_balanced_and_reads_only_metrics_govmesh_exports() -> None:
    for rule in rules():
        expr = rule["expr"]
        assert balanced(expr), rule["alert"]
        without_strings = re.sub(r'"[^"]*"', '""', expr)
        without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
        without_labels = re.sub(r"\{[^}]*\}", "", without_ranges)
        metrics = {m for m in re.findall(r"\b(?:govmesh_\w+|up)\b", without_labels)}
        assert metrics and metrics <= EXPORTED, f"{rule['alert']}: {metrics - EXPORTED}"


@pytest.mark.parametrize("broken", ["sum(rate(x[5m])", 'x{a="b"', "rate(x[5m)]"])
def test_the_balance_check_catches_unclosed_brackets_and_quotes(broken: str) -> None:
    assert not balanced(broken)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
@pytest.mark.parametrize(
    "command",
    [
        ["check", "rules", "alerts.yml"],
        ["check", "config", "prometheus.yml"],
        # The alerts fire on the series they watch, with the labels and texts an on-call reads.
        ["test", "rules", "alerts_test.yml"],
    ],
)
def test_promtool_accepts_the_rules_the_scrape_configuration_and_the_rules_unit_tests(command: list[str]) -> None:
    checked = subprocess.run(
        ["promtool", *command], cwd=RULES.parent, capture_output=True, text=True, check=False, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
