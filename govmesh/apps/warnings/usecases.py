"""The warnings application's use cases: keep facts, evaluate the rules, close warnings, count them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from govmesh.apps.warnings.domain.model import (
    AUTO,
    Candidate,
    Figures,
    Outcome,
    State,
    Warning,
    day_number,
    warning_number,
)
from govmesh.apps.warnings.domain.rules import Action, Rule, RuleSet, Shape
from govmesh.apps.warnings.persistence import store
from govmesh.runtime import errors

HUB_ZONE = ZoneInfo("Asia/Shanghai")


def today_in_hub() -> int:
    return day_number(dt.datetime.now(HUB_ZONE).date())


@dataclass(frozen=True)
class IncomingRecord:
    """A record as the application received it: only what the exchange let through."""

    subject: str  # the subject code, e.g. 102.001
    record_id: str
    entity_key: str
    division_code: str
    event_time: dt.datetime
    publisher: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluation:
    """What one evaluation did: warnings raised and closed (to publish), reminders queued."""

    today: int = 0
    raised: list[Warning] = field(default_factory=list)
    closed: list[Warning] = field(default_factory=list)
    reminders: int = 0


class WarningsApp:
    """Decides over the application's own tables; the mesh adapter feeds it records and publishes its warnings."""

    def __init__(self, engine: Engine, rules: RuleSet, today: Callable[[], int] = today_in_hub):
        self.engine = engine
        self.rules = rules
        self.today = today
        # One writer at a time in this process: evaluations triggered by several subscriptions would
        # only race for the same rows, and SQLite refuses a reader turning writer while another writes
        # (replicas on PostgreSQL are kept apart by the unique constraints).
        self._writing = threading.Lock()
        self._scheduled_through: int | None = None  # the day of the last scheduled (whole) evaluation

    # -- facts in ------------------------------------------------------------------------------

    def ingest(self, records: Sequence[IncomingRecord]) -> set[str]:
        """Stores the facts the records carry; returns the entity keys that gained a fact."""
        rows: list[dict[str, Any]] = []
        for record in records:
            for kind_name in self.rules.kinds_by_subject.get(record.subject, ()):
                kind = self.rules.facts[kind_name]
                rows.append(
                    {
                        "kind": kind_name,
                        "entity_key": record.entity_key,
                        "division_code": record.division_code,
                        "event_day": day_number(record.event_time.astimezone(HUB_ZONE).date()),
                        "subject": record.subject,
                        "publisher": record.publisher,
                        "record_id": record.record_id,
                        "name": str(record.values.get(kind.name_item, ""))[:200] if kind.name_item else "",
                        "phone": str(record.values.get(kind.phone_item, ""))[:20] if kind.phone_item else "",
                    }
                )
        with self._writing, self.engine.begin() as connection:
            store.add_facts(connection, rows)
        return {r["entity_key"] for r in rows}

    # -- rules ---------------------------------------------------------------------------------

    def evaluate(self, entity_keys: Iterable[str] | None = None, kinds: Iterable[str] | None = None) -> Evaluation:
        """Runs the rules (over the given entities, or all) as of today: raises, reminds, closes.

        Records trigger an evaluation of their entities as they arrive, so after the first full pass
        the scheduled one (no entities given) looks only at what the passing of time can change: the
        `missing` rules' facts whose deadline fell since the last scheduled pass. With `kinds` (the facts
        that just arrived), only the rules those facts can change are run.
        """
        arrived = frozenset(kinds) if kinds is not None else None
        keys = list(entity_keys) if entity_keys is not None else None
        today = self.today()
        since = self._scheduled_through if keys is None else None
        outcome = Evaluation(today=today)
        with self._writing, self.engine.begin() as connection:
            for index, rule in enumerate(self.rules.rules, start=1):
                if since is not None and rule.shape is not Shape.MISSING:
                    continue  # only arrivals change these, and each arrival was evaluated
                if arrived is not None and not rule.kinds & arrived:
                    continue  # nothing the rule looks at arrived
                if rule.action is Action.REMIND:
                    for candidate in store.reminder_candidates(connection, rule, today, keys, since=since):
                        if store.add_reminder(connection, rule, candidate, today) is not None:
                            outcome.reminders += 1
                    continue
                raised = self._raise(
                    connection, index, rule, self._candidates(connection, rule, today, keys, since), outcome
                )
                if rule.shape is Shape.MISSING:
                    # A scheduled pass checks only what it raised: what was missing may have arrived already.
                    for warning_id in store.resolved_warnings(connection, rule, keys if since is None else raised):
                        if store.close(connection, warning_id, Outcome.REGISTERED, "登记已到达", AUTO, today):
                            closed = store.get(connection, warning_id=warning_id)
                            assert closed is not None
                            outcome.closed.append(closed)
        if keys is None:
            self._scheduled_through = today if since is None else max(since, today)
        return outcome

    @staticmethod
    def _raise(connection: Any, index: int, rule: Rule, candidates: list[Candidate], outcome: Evaluation) -> list[str]:
        """Stores the candidates as warnings; returns the entity keys of those raised now."""
        keys = []
        for candidate in candidates:
            warning_id = store.insert_warning(connection, rule, candidate, outcome.today)
            if warning_id is None:
                continue
            store.set_number(connection, warning_id, warning_number(index, warning_id))
            raised = store.get(connection, warning_id=warning_id)
            assert raised is not None
            outcome.raised.append(raised)
            keys.append(raised.entity_key)
        return keys

    @staticmethod
    def _candidates(
        connection: Any, rule: Rule, today: int, keys: list[str] | None, since: int | None
    ) -> list[Candidate]:
        if rule.shape is Shape.MISSING:
            return store.missing_candidates(connection, rule, today, keys, since=since)
        if rule.shape is Shape.FOLLOWED_BY:
            return store.followed_candidates(connection, rule, keys)
        return store.duplicate_candidates(connection, rule, today, keys)

    # -- warnings ------------------------------------------------------------------------------

    def close(self, number: str, outcome: Outcome, note: str, closed_by: str) -> Warning:
        """The responsible department (or the operator) closes a warning once, with an outcome and a note."""
        return self.close_many([number], outcome, note, closed_by, strict=True)[0]

    def close_many(
        self, numbers: Sequence[str], outcome: Outcome, note: str, closed_by: str, *, strict: bool = False
    ) -> list[Warning]:
        """Closes warnings in one transaction, all of them or none; returns those closed now.

        A warning already closed (by its registration arriving, say) is left out, or with `strict` refused.
        """
        department = closed_by.removeprefix("department/")
        closed: list[Warning] = []
        with self._writing, self.engine.begin() as connection:
            for number in numbers:
                warning = store.get(connection, number=number)
                if warning is None:
                    raise errors.NotFound("warning", number)
                rule = self.rules.rule(warning.rule)
                if closed_by.startswith("department/") and department not in rule.notify:
                    raise errors.PermissionDenied(
                        f"warning {number} is for {', '.join(rule.notify)}, not {department}",
                        reason="NOT_RESPONSIBLE",
                    )
                if warning.state is State.CLOSED:
                    if not strict:
                        continue
                    raise errors.FailedPrecondition(
                        f"warning {number} was already closed ({warning.outcome.value if warning.outcome else ''})",
                        reason="ALREADY_CLOSED",
                    )
                store.close(connection, warning.id, outcome, note, closed_by, self.today())
                now_closed = store.get(connection, warning_id=warning.id)
                assert now_closed is not None
                closed.append(now_closed)
        return closed

    def get(self, number: str) -> Warning:
        with self.engine.connect() as connection:
            warning = store.get(connection, number=number)
        if warning is None:
            raise errors.NotFound("warning", number)
        return warning

    def search(
        self, *, rule: str = "", state: str = "", entity_key: str = "", limit: int = 100, after_id: int = 0
    ) -> list[Warning]:
        with self.engine.connect() as connection:
            return store.find(connection, rule=rule, state=state, entity_key=entity_key, limit=limit, after_id=after_id)

    def for_department(self, department: str, entity_keys: Sequence[str]) -> list[Warning]:
        """The warnings of rules a department is responsible for, about the given entities."""
        rules = [r.id for r in self.rules.rules if department in r.notify]
        with self.engine.connect() as connection:
            found: list[Warning] = []
            for key in entity_keys:
                found += store.find(connection, entity_key=key, rules=rules)
            return found

    def unpublished(self, limit: int = 500) -> list[Warning]:
        """Warnings whose current state has not been published yet (1 = open published, 2 = closed)."""
        with self.engine.connect() as connection:
            return store.unpublished(connection, [r.id for r in self.rules.rules if r.subject], limit)

    def mark_published(self, published: Sequence[Warning]) -> None:
        with self._writing, self.engine.begin() as connection:
            store.mark_published(connection, [(w.id, 1 if w.state is State.OPEN else 2) for w in published])

    def phones_of(self, entity_keys: Sequence[str]) -> dict[str, str]:
        """The entities' phones, from the facts that name a phone item; an entity without one is left out."""
        kinds = [k.name for k in self.rules.facts.values() if k.phone_item]
        with self.engine.connect() as connection:
            return store.phones_of(connection, list(dict.fromkeys(entity_keys)), kinds)

    def figures(self) -> Figures:
        today = self.today()
        with self.engine.connect() as connection:
            counted = store.counts(connection)
            registration = next(
                (r for r in self.rules.rules if r.shape is Shape.MISSING and r.action is Action.WARN), None
            )
            total, complete = store.registration_counts(connection, registration, today) if registration else (0, 0)
        rules = counted["rules"]

        def mean(entry: dict[str, Any]) -> float | None:
            weighted = entry["days"]
            n = sum(count for count, _ in weighted)
            return sum(count * days for count, days in weighted) / n if n else None

        return Figures(
            raised={r: e["raised"] for r, e in rules.items()},
            open={r: e["open"] for r, e in rules.items()},
            closed={r: e["closed"] for r, e in rules.items()},
            closed_by_department={r: e["by_department"] for r, e in rules.items()},
            mean_days_to_close={r: mean(e) for r, e in rules.items()},
            reminders_sent=counted["sent"],
            reminders_dead=counted["dead"],
            registered_enterprises=total,
            tax_registered_enterprises=complete,
        )
