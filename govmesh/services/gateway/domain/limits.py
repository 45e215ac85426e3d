"""Per-principal limits at the gateway: call rate, the cost of calls (response bytes), streams, sizes, deadlines."""

from __future__ import annotations

import datetime as dt
import json
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from govmesh.runtime.identity import Principal

# `kind/*` in the overrides covers every principal of a kind that has no entry of its own.
KIND_WILDCARD = "*"


@dataclass(frozen=True)
class Limits:
    """What one principal may do through the gateway; 0 for a rate or the streams means unlimited.

    Calls are counted twice: by number (`requests_per_second`, `burst`) and by cost, the response
    bytes they return (`response_bytes_per_second`, `response_bytes_burst`), so that a principal's
    expensive calls are bounded by what they cost the services, not only by how many there are.
    """

    requests_per_second: float = 200.0
    burst: int = 400
    max_concurrent_streams: int = 32
    max_message_bytes: int = 4 * 1024 * 1024
    default_deadline_seconds: float = 30.0
    max_deadline_seconds: float = 300.0
    response_bytes_per_second: float = 1024 * 1024
    response_bytes_burst: int = 4 * 1024 * 1024

    def problems(self) -> list[str]:
        found = []
        for name in (
            "requests_per_second",
            "burst",
            "max_concurrent_streams",
            "response_bytes_per_second",
            "response_bytes_burst",
        ):
            if getattr(self, name) < 0:
                found.append(f"{name} must not be negative")
        for name in ("max_message_bytes", "default_deadline_seconds", "max_deadline_seconds"):
            if getattr(self, name) <= 0:
                found.append(f"{name} must be positive")
        if self.default_deadline_seconds > self.max_deadline_seconds:
            found.append("default_deadline_seconds must not exceed max_deadline_seconds")
        return found


_FIELD_TYPES: dict[str, type] = {f.name: float if f.type == "float" else int for f in fields(Limits)}


@dataclass(frozen=True)
class LimitsConfig:
    """Default limits and per-principal overrides (`department/AIC`, or `department/*` for a whole kind)."""

    default: Limits = field(default_factory=Limits)
    overrides: Mapping[str, Limits] = field(default_factory=dict)

    def for_principal(self, principal: Principal) -> Limits:
        own = self.overrides.get(principal.header_value())
        if own is not None:
            return own
        return self.overrides.get(f"{principal.kind}/{KIND_WILDCARD}", self.default)


def _limits(values: Any, base: Limits, where: str) -> Limits:
    if not isinstance(values, Mapping):
        raise ValueError(f"{where}: expected a mapping of limit names to numbers")
    unknown = sorted(set(values) - set(_FIELD_TYPES))
    if unknown:
        raise ValueError(f"{where}: unknown limit(s) {', '.join(unknown)}; known: {', '.join(_FIELD_TYPES)}")
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}.{name}: expected a number, got {value!r}")
        if _FIELD_TYPES[name] is int and value != int(value):
            raise ValueError(f"{where}.{name}: expected a whole number, got {value!r}")
        changes[name] = _FIELD_TYPES[name](value)
    limits = replace(base, **changes)
    problems = limits.problems()
    if problems:
        raise ValueError(f"{where}: {'; '.join(problems)}")
    return limits


def parse_limits(document: Any, *, max_message_bytes: int) -> LimitsConfig:
    """Reads `{"default": {...}, "principals": {"department/AIC": {...}}}`; overrides inherit the default.

    No principal may get messages larger than the server's own `max_message_bytes`, which gRPC
    enforces before the gateway sees a message.
    """
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise ValueError("limits: expected a mapping with `default` and `principals`")
    unknown = sorted(set(document) - {"default", "principals"})
    if unknown:
        raise ValueError(f"limits: unknown key(s) {', '.join(unknown)}; expected `default` and `principals`")
    ceiling = Limits(max_message_bytes=max_message_bytes)
    default = _limits(document.get("default") or {}, ceiling, "default")
    overrides: dict[str, Limits] = {}
    for key, values in (document.get("principals") or {}).items():
        kind, _, code = str(key).partition("/")
        if code != KIND_WILDCARD and Principal.parse(str(key)).is_anonymous:
            raise ValueError(f"principals: {key!r} is not kind/code (e.g. department/AIC) nor kind/*")
        if code == KIND_WILDCARD and Principal.parse(f"{kind}/x").is_anonymous:
            raise ValueError(f"principals: {key!r} names an unknown kind")
        overrides[str(key)] = _limits(values or {}, default, f"principals.{key}")
    for where, limits in [("default", default), *((f"principals.{k}", v) for k, v in overrides.items())]:
        if limits.max_message_bytes > max_message_bytes:
            raise ValueError(
                f"{where}.max_message_bytes: {limits.max_message_bytes} exceeds the server's {max_message_bytes}"
            )
    return LimitsConfig(default, overrides)


def load_limits(setting: str, *, max_message_bytes: int) -> LimitsConfig:
    """The limits a setting names: empty for the defaults, inline JSON, or a .json, .yaml or .toml file."""
    text = setting.strip()
    if not text:
        return parse_limits({}, max_message_bytes=max_message_bytes)
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"limits: the inline JSON does not parse: {error}") from error
        return parse_limits(document, max_message_bytes=max_message_bytes)
    path = Path(text)
    content = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            document = tomllib.loads(content)
        elif path.suffix in (".yaml", ".yml"):
            document = yaml.safe_load(content)
        else:
            document = json.loads(content)
    except (ValueError, yaml.YAMLError) as error:
        raise ValueError(f"limits: {path} does not parse: {error}") from error
    try:
        return parse_limits(document, max_message_bytes=max_message_bytes)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


# A method not yet answered for a principal is expected to cost a typical page; only one such
# call of it goes at a time, and its answer teaches the real cost.
UNKNOWN_COST = 16 * 1024
# A call known to answer no more than this is never held by the byte budget: its answer costs the
# services less than the call itself, which the rate limit bounds, and holding it would stall what
# pays debts back (a subscriber in debt from its deliveries must still acknowledge them).
CHEAP_ANSWER_BYTES = 4096
# Methods whose answer is a few counters by contract: cheap from their first call on.
CHEAP_BY_CONTRACT = frozenset({"/exchange.v1.ExchangeService/AcknowledgeDeliveries"})
# How soon a call held for the answers its principal has in flight looks again, at least.
_IN_FLIGHT_RETRY_SECONDS = 0.05


class CostEstimates:
    """What each method's answers have cost one principal lately: its largest recent answer, decaying with time.

    A call is charged this much when admitted, before anyone knows what it will return. The
    largest recent answer rather than an average, so a run of cheap calls of a method cannot talk
    the estimate down just before a burst of expensive ones; it halves every `half_life` seconds
    without a large answer, so a method that became cheap is seen as cheap again.
    """

    def __init__(self, half_life: float = 60.0):
        self._half_life = half_life
        self._peaks: dict[str, tuple[float, float]] = {}

    def expected(self, method: str, now: float) -> float | None:
        """The cost to expect of a call of `method`; None before its first answer."""
        known = self._peaks.get(method)
        if known is None:
            return None
        size, when = known
        return float(size * 0.5 ** (max(now - when, 0.0) / self._half_life))

    def observe(self, method: str, size: int, now: float) -> None:
        self._peaks[method] = (max(float(size), self.expected(method, now) or 0.0), now)


class Allowance:
    """One principal's standing against its limits: a token bucket for calls, one for bytes, open streams, counters.

    The byte bucket is charged with each call's expected response size when it is admitted and
    settled with the actual size when it answers, which may leave it in debt: the principal's next
    calls then wait until the debt is repaid at its rate. The gateway runs on one event loop, so
    the arithmetic needs no lock.
    """

    __slots__ = (
        "admitted",
        "bytes",
        "bytes_stamp",
        "estimates",
        "in_flight",
        "limits",
        "open_streams",
        "probing",
        "rejected",
        "stamp",
        "tokens",
    )

    def __init__(self, limits: Limits, now: float):
        self.limits = limits
        self.tokens = float(max(limits.burst, 1))
        self.stamp = now
        self.bytes = float(max(limits.response_bytes_burst, 1))
        self.bytes_stamp = now
        self.estimates = CostEstimates()
        self.in_flight = 0.0  # response bytes reserved by calls not answered yet
        self.probing: set[str] = set()  # methods whose first call is in flight
        self.open_streams = 0
        self.admitted = 0
        self.rejected = 0

    def available_bytes(self, now: float) -> float:
        """Response bytes the principal may still receive now (negative while in debt)."""
        cap = float(max(self.limits.response_bytes_burst, 1))
        rate = self.limits.response_bytes_per_second
        if rate <= 0:
            return cap
        return min(cap, self.bytes + (now - self.bytes_stamp) * rate)

    def bytes_wait(self, expected: float, now: float) -> float:
        """0.0 if a call expected to return `expected` bytes is affordable now, else the seconds until it is."""
        rate = self.limits.response_bytes_per_second
        if rate <= 0:
            return 0.0
        # A call costlier than the whole bucket needs only a full one, or it would never pass.
        need = max(min(expected, float(max(self.limits.response_bytes_burst, 1))), 1.0)
        balance = self.available_bytes(now)
        if balance >= need:
            return 0.0
        self.rejected += 1
        return (need - balance) / rate

    def cost_wait(self, method: str, now: float) -> tuple[float, float, bool]:
        """What a call of `method` would reserve; 0.0 if it may start now, else the seconds until it may; and
        whether it waits only for the principal's calls in flight (True) rather than for its budget.

        It may start when all three hold (the bound of docs/benchmarks.md rests on them):
        - no first call of the same method is in flight: until one answers, its cost is unknown;
        - the principal's calls in flight, this one included, are expected to return at most a
          second of its byte rate, so its expensive answers are produced one after another however
          slow the services are (a call alone may cost more);
        - the byte bucket holds its expected cost.
        """
        rate = self.limits.response_bytes_per_second
        if rate <= 0:
            return 0.0, 0.0, False
        known = self.estimates.expected(method, now)
        if method in CHEAP_BY_CONTRACT or (known is not None and known <= CHEAP_ANSWER_BYTES):
            return known or 0.0, 0.0, False
        expected = UNKNOWN_COST if known is None else known
        if self.in_flight > 0 and (self.in_flight + expected > rate or method in self.probing):
            return expected, max(self.in_flight / rate, _IN_FLIGHT_RETRY_SECONDS), True
        return expected, self.bytes_wait(expected, now), False

    def reserve(self, method: str, expected: float, now: float) -> bool:
        """Charges an admitted call's expected cost; True when it is the method's first (a probe)."""
        self.charge_bytes(expected, now)
        self.in_flight += expected
        probe = self.estimates.expected(method, now) is None
        if probe:
            self.probing.add(method)
        return probe

    def settle(self, method: str, reserved: float, probe: bool, size: int | None, now: float) -> None:
        """Replaces a call's reservation with what its answer cost; `None` (it failed) gives it back."""
        self.charge_bytes((size or 0) - reserved, now)
        self.in_flight = max(self.in_flight - reserved, 0.0)
        if probe:
            self.probing.discard(method)
        if size is not None:
            self.estimates.observe(method, size, now)

    def charge_bytes(self, size: float, now: float) -> None:
        """Takes `size` response bytes from the byte bucket (a negative size gives back an over-estimate)."""
        if self.limits.response_bytes_per_second <= 0:
            return
        self.bytes = self.available_bytes(now) - size
        self.bytes_stamp = now

    def available_tokens(self, now: float) -> float:
        rate = self.limits.requests_per_second
        if rate <= 0:
            return float(max(self.limits.burst, 1))
        return min(float(max(self.limits.burst, 1)), self.tokens + (now - self.stamp) * rate)

    def take_call(self, now: float) -> float:
        """Spends a token for one call: 0.0 when admitted, else the seconds until a token is back."""
        rate = self.limits.requests_per_second
        if rate <= 0:
            self.admitted += 1
            return 0.0
        tokens = self.available_tokens(now)
        self.stamp = now
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            self.admitted += 1
            return 0.0
        self.tokens = tokens
        self.rejected += 1
        return (1.0 - tokens) / rate

    def streams_full(self) -> bool:
        cap = self.limits.max_concurrent_streams
        return cap > 0 and self.open_streams >= cap

    def refuse(self) -> None:
        self.rejected += 1


@dataclass(frozen=True)
class Usage:
    """A principal's current use of its limits, as GetLimits reports it."""

    available_tokens: float
    available_response_bytes: float
    open_streams: int
    admitted_calls: int
    rejected_calls: int
    since: dt.datetime


class Limiter:
    """Every principal's allowance, made on its first call from the configured limits."""

    def __init__(self, config: LimitsConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self.since = dt.datetime.now(dt.UTC)
        self._allowances: dict[str, Allowance] = {}

    def allowance(self, principal: Principal) -> Allowance:
        key = principal.header_value()
        found = self._allowances.get(key)
        if found is None:
            found = self._allowances[key] = Allowance(self.config.for_principal(principal), self.clock())
        return found

    def usage(self, principal: Principal) -> Usage:
        allowance = self.allowance(principal)
        now = self.clock()
        return Usage(
            available_tokens=allowance.available_tokens(now),
            available_response_bytes=allowance.available_bytes(now),
            open_streams=allowance.open_streams,
            admitted_calls=allowance.admitted,
            rejected_calls=allowance.rejected,
            since=self.since,
        )
