"""Warnings, their outcomes and figures, and the values a warning is published with."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: how facts are dated, so "within N days" is integer arithmetic in any SQL."""
    return (day - EPOCH).days


def day_of(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=number)


class Outcome(enum.Enum):
    """How a warning was closed: by the responsible department, or by itself."""

    HANDLED = "handled"  # the department followed it up
    REGISTERED = "registered"  # what was missing was done (by the department's word, or it arrived)
    FALSE_ALARM = "false_alarm"


class State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


AUTO = "auto"  # who closed a warning that closed itself


@dataclass(frozen=True)
class Candidate:
    """What a rule's query found about one entity, before it becomes a warning."""

    entity_key: str
    division_code: str
    name: str
    phone: str
    event_day: int
    missing: tuple[str, ...] = ()
    count: int = 0
    last_day: int = 0
    sources: tuple[str, ...] = ()


@dataclass
class Warning:
    id: int
    number: str
    rule: str
    entity_key: str
    division_code: str
    name: str
    event_day: int
    raised_day: int
    missing: tuple[str, ...]
    state: State
    detail: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    note: str = ""
    closed_by: str = ""
    closed_day: int | None = None
    reminded_day: int | None = None
    published_version: int = 0


def warning_number(rule_index: int, warning_id: int) -> str:
    """`YJ` + the rule's position + the id: 30 characters at most, as 206.00x.001 allows."""
    return f"YJ{rule_index:02d}{warning_id:010d}"


@dataclass(frozen=True)
class Figures:
    """The warnings' figures, as `govmesh warnings metrics` prints them."""

    raised: dict[str, int]
    open: dict[str, int]
    closed: dict[str, int]
    closed_by_department: dict[str, int]
    mean_days_to_close: dict[str, float | None]
    reminders_sent: int
    reminders_dead: int
    registered_enterprises: int
    tax_registered_enterprises: int

    def follow_up_rate(self, rule: str) -> float | None:
        """Closed (by the department or by itself) over raised."""
        raised = self.raised.get(rule, 0)
        return self.closed.get(rule, 0) / raised if raised else None

    @property
    def tax_registration_rate(self) -> float | None:
        """Enterprises past their deadline that have every tax registration, over all past it."""
        if not self.registered_enterprises:
            return None
        return self.tax_registered_enterprises / self.registered_enterprises

    def as_dict(self) -> dict[str, Any]:
        rules = sorted(set(self.raised) | set(self.open) | set(self.closed))
        return {
            "rules": {
                rule: {
                    "raised": self.raised.get(rule, 0),
                    "open": self.open.get(rule, 0),
                    "closed": self.closed.get(rule, 0),
                    "closed_by_department": self.closed_by_department.get(rule, 0),
                    "follow_up_rate": self.follow_up_rate(rule),
                    "mean_days_to_close": self.mean_days_to_close.get(rule),
                }
                for rule in rules
            },
            "reminders_sent": self.reminders_sent,
            "reminders_dead": self.reminders_dead,
            "registered_enterprises": self.registered_enterprises,
            "tax_registered_enterprises": self.tax_registered_enterprises,
            "tax_registration_rate": self.tax_registration_rate,
        }


_FOLLOW_UP = {
    "206.001": {
        None: "待处理",
        Outcome.HANDLED: "已催办",
        Outcome.REGISTERED: "已补办登记",
        Outcome.FALSE_ALARM: "无需登记",
    },
    "206.002": {
        None: "待处理",
        Outcome.HANDLED: "其他",
        Outcome.REGISTERED: "已办税务注销",
        Outcome.FALSE_ALARM: "其他",
    },
    "206.003": {
        None: "待处理",
        Outcome.HANDLED: "已停发",
        Outcome.REGISTERED: "已停发",
        Outcome.FALSE_ALARM: "核实有误",
    },
}
_KIND_206_001: dict[tuple[str, ...], str] = {("地税",): "应办未办地税登记", ("国税",): "应办未办国税登记"}
_KIND_206_002: dict[tuple[str, ...], str] = {("地税",): "未办地税注销", ("国税",): "未办国税注销"}


def _kind(table: dict[tuple[str, ...], str], missing: tuple[str, ...], both: str) -> str:
    return table.get(tuple(missing), both)


def warning_values(subject: str, warning: Warning, notified: str, phone: str = "") -> dict[str, Any]:
    """The items of a warning's record in its warnings subject, as Python values (dates, text, numbers).

    `phone` goes only in 206.001.014, which the catalog marks NOT_SHARED: it stays with the provider.
    """
    status = _FOLLOW_UP[subject][warning.outcome]
    values_of = _VALUES_OF.get(subject)
    if values_of is None:
        raise ValueError(f"subjects/{subject} is not a warnings subject this application publishes")
    return values_of(warning, notified, phone, status)


def _feedback(warning: Warning) -> dt.date | None:
    return day_of(warning.closed_day) if warning.closed_day is not None else None


def _no_tax_registration_values(warning: Warning, notified: str, phone: str, status: str) -> dict[str, Any]:
    """206.001: an enterprise registered with industry and commerce but not at a tax bureau."""
    feedback = _feedback(warning)
    values: dict[str, Any] = {
        "206.001.001": warning.number,
        "206.001.002": warning.entity_key,
        "206.001.003": warning.name,
        "206.001.008": warning.division_code,
        "206.001.009": day_of(warning.event_day),
        "206.001.010": _kind(_KIND_206_001, warning.missing, "应办未办地税和国税登记"),
        "206.001.011": day_of(warning.raised_day),
        "206.001.012": max(0, warning.raised_day - warning.event_day),
        "206.001.015": notified,
        "206.001.016": status,
    }
    if warning.reminded_day is not None:
        values["206.001.013"] = day_of(warning.reminded_day)
    if phone:
        values["206.001.014"] = phone
    if warning.note:
        values["206.001.017"] = warning.note[:500]
    if warning.outcome is Outcome.REGISTERED and feedback is not None:
        values["206.001.018"] = feedback
    if feedback is not None:
        values["206.001.019"] = feedback
    return values


def _deregistered_not_at_tax_values(warning: Warning, notified: str, phone: str, status: str) -> dict[str, Any]:
    """206.002: an enterprise deregistered with industry and commerce but still registered at a tax bureau."""
    feedback = _feedback(warning)
    values: dict[str, Any] = {
        "206.002.001": warning.number,
        "206.002.002": warning.entity_key,
        "206.002.003": warning.name,
        "206.002.005": day_of(warning.event_day),
        "206.002.009": _kind(_KIND_206_002, warning.missing, "未办地税和国税注销"),
        "206.002.010": day_of(warning.raised_day),
        "206.002.012": notified,
        "206.002.013": status,
        "206.002.015": warning.division_code,
    }
    if feedback is not None:
        values["206.002.014"] = feedback
    return values


def _pension_after_death_values(warning: Warning, notified: str, phone: str, status: str) -> dict[str, Any]:
    """206.003: a pension still paid after its holder's death."""
    feedback = _feedback(warning)
    last = day_of(int(warning.detail.get("last_day", warning.event_day)))
    values: dict[str, Any] = {
        "206.003.001": warning.number,
        "206.003.002": warning.entity_key,
        "206.003.004": day_of(warning.event_day),
        "206.003.007": f"{last.year:04d}-{last.month:02d}",
        "206.003.008": min(999, int(warning.detail.get("count", 0))),
        "206.003.011": day_of(warning.raised_day),
        "206.003.012": status,
        "206.003.015": warning.division_code,
    }
    if warning.name:
        values["206.003.003"] = warning.name
    if feedback is not None:
        values["206.003.014"] = feedback
    return values


# Each warnings subject's record, by the subject it is published in.
_VALUES_OF: dict[str, Callable[[Warning, str, str, str], dict[str, Any]]] = {
    "206.001": _no_tax_registration_values,
    "206.002": _deregistered_not_at_tax_values,
    "206.003": _pension_after_death_values,
}
