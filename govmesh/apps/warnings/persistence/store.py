"""The warnings application's queries: facts in, each rule as one SQL query (an anti-join for "no B
within N days"), warnings and reminders out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from govmesh.apps.notifier.outbox import DEAD, SENT, enqueue
from govmesh.apps.warnings.domain.model import AUTO, Candidate, Outcome, State, Warning
from govmesh.apps.warnings.domain.rules import Rule
from govmesh.apps.warnings.persistence.tables import facts, outbox, reminders, warnings


def add_facts(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Stores facts, skipping records already stored (deliveries come at least once); returns how many were new."""
    if not rows:
        return 0
    keys = [(r["record_id"], r["kind"]) for r in rows]
    existing = set(
        connection.execute(
            select(facts.c.record_id, facts.c.kind).where(facts.c.record_id.in_({k[0] for k in keys}))
        ).all()
    )
    fresh = [r for r in rows if (r["record_id"], r["kind"]) not in existing]
    if fresh:
        connection.execute(insert(facts), fresh)
    return len(fresh)


def _entity_filter(column: Any, entity_keys: Iterable[str] | None) -> ColumnElement[bool]:
    keys = list(entity_keys) if entity_keys is not None else None
    condition: ColumnElement[bool] = column.in_(keys) if keys is not None else column.is_not(None)
    return condition


def _not_yet_raised(rule: Rule, entity_column: Any) -> ColumnElement[bool]:
    return ~exists().where(and_(warnings.c.rule == rule.id, warnings.c.entity_key == entity_column))


def _missing_conditions(rule: Rule, a: Any, *, within: bool) -> list[ColumnElement[bool]]:
    """Per `missing` entry: no such fact (within the rule's days of A, or ever), where its `if` holds."""
    conditions: list[ColumnElement[bool]] = []
    for entry in rule.missing:
        b = facts.alias()
        follows = and_(b.c.kind == entry.fact, b.c.entity_key == a.c.entity_key)
        if within:
            follows = and_(follows, b.c.event_day <= a.c.event_day + rule.days)
        condition: ColumnElement[bool] = ~exists().where(follows)
        if entry.if_fact:
            c = facts.alias()
            condition = and_(
                condition, exists().where(and_(c.c.kind == entry.if_fact, c.c.entity_key == a.c.entity_key))
            )
        conditions.append(condition)
    return conditions


def missing_candidates(
    connection: Connection,
    rule: Rule,
    today: int,
    entity_keys: Iterable[str] | None = None,
    *,
    done: Table | None = None,
    since: int | None = None,
) -> list[Candidate]:
    """A `missing` rule: facts `when` at least `days` old with some entry not followed within `days`,
    for entities the rule has not raised (or reminded) yet."""
    a = facts.alias("a")
    conditions = _missing_conditions(rule, a, within=True)
    flags = [c.label(f"m{n}") for n, c in enumerate(conditions)]
    # Entities the rule already acted on: raised a warning (or, for reminders, sent one).
    done = warnings if done is None else done
    guard = ~exists().where(and_(done.c.rule == rule.id, done.c.entity_key == a.c.entity_key))
    # After a scheduled pass on day `since`, only facts whose deadline fell since then are new to the rule.
    window = a.c.event_day > since - rule.days if since is not None else a.c.event_day.is_not(None)
    query = (
        select(a.c.entity_key, a.c.division_code, a.c.name, a.c.phone, a.c.event_day, *flags)
        .where(
            a.c.kind == rule.when,
            a.c.event_day <= today - rule.days,
            window,
            _entity_filter(a.c.entity_key, entity_keys),
            guard,
            or_(*conditions),
        )
        .order_by(a.c.event_day, a.c.entity_key)
    )
    found: dict[str, Candidate] = {}
    for row in connection.execute(query):
        missing = tuple(e.label for n, e in enumerate(rule.missing) if row[5 + n])
        found.setdefault(
            row.entity_key, Candidate(row.entity_key, row.division_code, row.name, row.phone, row.event_day, missing)
        )
    return list(found.values())


def reminder_candidates(
    connection: Connection,
    rule: Rule,
    today: int,
    entity_keys: Iterable[str] | None = None,
    *,
    since: int | None = None,
) -> list[Candidate]:
    """A reminding `missing` rule: as a warning rule, for entities not reminded yet, only before the deadline
    has long passed (a reminder a year late helps nobody): A within [days, 2 × days]."""
    found = missing_candidates(connection, rule, today, entity_keys, done=reminders, since=since)
    return [c for c in found if c.event_day >= today - 2 * rule.days]


def followed_candidates(
    connection: Connection, rule: Rule, entity_keys: Iterable[str] | None = None
) -> list[Candidate]:
    """A `followed_by` rule: `when`, then `followed_by` more than `days` after it, not raised yet."""
    a, b = facts.alias("a"), facts.alias("b")
    query = (
        select(
            a.c.entity_key,
            func.min(a.c.division_code).label("division_code"),
            func.max(a.c.name).label("name"),
            func.min(a.c.event_day).label("event_day"),
            func.count(func.distinct(b.c.id)).label("n"),
            func.max(b.c.event_day).label("last_day"),
        )
        .select_from(a.join(b, and_(b.c.entity_key == a.c.entity_key, b.c.kind == rule.followed_by)))
        .where(
            a.c.kind == rule.when,
            b.c.event_day > a.c.event_day + rule.days,
            _entity_filter(a.c.entity_key, entity_keys),
            _not_yet_raised(rule, a.c.entity_key),
        )
        .group_by(a.c.entity_key)
        .order_by(a.c.entity_key)
    )
    return [
        Candidate(r.entity_key, r.division_code, r.name, "", r.event_day, count=r.n, last_day=r.last_day)
        for r in connection.execute(query)
    ]


def duplicate_candidates(
    connection: Connection, rule: Rule, today: int, entity_keys: Iterable[str] | None = None
) -> list[Candidate]:
    """A `duplicate` rule: `when` about one entity from `min_sources` departments or more within `days`."""
    a = facts.alias("a")
    query = (
        select(
            a.c.entity_key,
            func.min(a.c.division_code).label("division_code"),
            func.min(a.c.event_day).label("event_day"),
            func.count(func.distinct(a.c.publisher)).label("sources"),
            func.count().label("n"),
        )
        .where(
            a.c.kind == rule.when,
            a.c.event_day > today - rule.days,
            _entity_filter(a.c.entity_key, entity_keys),
            _not_yet_raised(rule, a.c.entity_key),
        )
        .group_by(a.c.entity_key)
        .having(func.count(func.distinct(a.c.publisher)) >= rule.min_sources)
        .order_by(a.c.entity_key)
    )
    found = []
    for r in connection.execute(query):
        publishers = connection.execute(
            select(facts.c.publisher).where(facts.c.kind == rule.when, facts.c.entity_key == r.entity_key).distinct()
        ).scalars()
        found.append(
            Candidate(r.entity_key, r.division_code, "", "", r.event_day, count=r.n, sources=tuple(sorted(publishers)))
        )
    return found


def resolved_warnings(connection: Connection, rule: Rule, entity_keys: Iterable[str] | None = None) -> list[int]:
    """Open warnings of a `missing` rule whose every missing entry has arrived since (at any time)."""
    a = facts.alias("a")
    still_missing = _missing_conditions(rule, a, within=False)
    pending = exists().where(and_(a.c.kind == rule.when, a.c.entity_key == warnings.c.entity_key, or_(*still_missing)))
    query = select(warnings.c.id).where(
        warnings.c.rule == rule.id,
        warnings.c.state == State.OPEN.value,
        _entity_filter(warnings.c.entity_key, entity_keys),
        ~pending,
    )
    return list(connection.execute(query).scalars())


def insert_warning(connection: Connection, rule: Rule, candidate: Candidate, today: int) -> int | None:
    """Stores a new open warning; None when the rule already raised one for the entity (another evaluation won)."""
    detail = {"count": candidate.count, "last_day": candidate.last_day, "sources": list(candidate.sources)}
    try:
        with connection.begin_nested():
            result = connection.execute(
                insert(warnings).values(
                    number="",
                    rule=rule.id,
                    entity_key=candidate.entity_key,
                    division_code=candidate.division_code,
                    name=candidate.name,
                    event_day=candidate.event_day,
                    raised_day=today,
                    missing=json.dumps(list(candidate.missing), ensure_ascii=False),
                    detail=json.dumps(detail),
                    state=State.OPEN.value,
                    outcome=None,
                    note="",
                    closed_by="",
                    closed_day=None,
                    reminded_day=_reminded_day(connection, candidate.entity_key),
                    published_version=0,
                )
            )
    except IntegrityError:
        return None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _reminded_day(connection: Connection, entity_key: str) -> int | None:
    day = connection.execute(
        select(func.min(reminders.c.created_day)).where(reminders.c.entity_key == entity_key)
    ).scalar()
    return int(day) if day is not None else None


def set_number(connection: Connection, warning_id: int, number: str) -> None:
    connection.execute(update(warnings).where(warnings.c.id == warning_id).values(number=number))


def add_reminder(connection: Connection, rule: Rule, candidate: Candidate, today: int) -> int | None:
    """The reminder and its outbox row, in the caller's transaction; None when already reminded or no phone."""
    if not candidate.phone:
        return None
    try:
        with connection.begin_nested():
            result = connection.execute(
                insert(reminders).values(rule=rule.id, entity_key=candidate.entity_key, created_day=today)
            )
            key = result.inserted_primary_key
            assert key is not None
            reminder_id = int(key[0])
            outbox_id = enqueue(connection, outbox, f"reminders/{reminder_id}", candidate.phone, rule.message)
            connection.execute(update(reminders).where(reminders.c.id == reminder_id).values(outbox_id=outbox_id))
    except IntegrityError:
        return None
    return reminder_id


def close(connection: Connection, warning_id: int, outcome: Outcome, note: str, closed_by: str, today: int) -> bool:
    """Closes an open warning; False when it was already closed (closing is done once)."""
    result = connection.execute(
        update(warnings)
        .where(warnings.c.id == warning_id, warnings.c.state == State.OPEN.value)
        .values(state=State.CLOSED.value, outcome=outcome.value, note=note, closed_by=closed_by, closed_day=today)
    )
    return bool(result.rowcount)


def _warning(row: Any) -> Warning:
    return Warning(
        id=row.id,
        number=row.number,
        rule=row.rule,
        entity_key=row.entity_key,
        division_code=row.division_code,
        name=row.name,
        event_day=row.event_day,
        raised_day=row.raised_day,
        missing=tuple(json.loads(row.missing)),
        state=State(row.state),
        detail=json.loads(row.detail),
        outcome=Outcome(row.outcome) if row.outcome else None,
        note=row.note,
        closed_by=row.closed_by,
        closed_day=row.closed_day,
        reminded_day=row.reminded_day,
        published_version=row.published_version,
    )


def get(connection: Connection, *, warning_id: int | None = None, number: str | None = None) -> Warning | None:
    query = select(warnings)
    query = (
        query.where(warnings.c.id == warning_id) if warning_id is not None else query.where(warnings.c.number == number)
    )
    row = connection.execute(query).first()
    return _warning(row) if row is not None else None


def find(
    connection: Connection,
    *,
    rule: str = "",
    state: str = "",
    entity_key: str = "",
    rules: Sequence[str] | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> list[Warning]:
    query = select(warnings).where(warnings.c.id > after_id).order_by(warnings.c.id).limit(limit)
    if rule:
        query = query.where(warnings.c.rule == rule)
    if rules is not None:
        query = query.where(warnings.c.rule.in_(list(rules)))
    if state:
        query = query.where(warnings.c.state == state)
    if entity_key:
        query = query.where(warnings.c.entity_key == entity_key)
    return [_warning(r) for r in connection.execute(query)]


def phones_of(connection: Connection, entity_keys: Sequence[str], kinds: Sequence[str]) -> dict[str, str]:
    """Each entity's phone from the facts of `kinds` (those naming a phone item); entities without one left out."""
    query = (
        select(facts.c.entity_key, func.max(facts.c.phone))
        .where(facts.c.kind.in_(list(kinds)), facts.c.entity_key.in_(list(entity_keys)), facts.c.phone != "")
        .group_by(facts.c.entity_key)
    )
    return {key: str(phone) for key, phone in connection.execute(query).all() if phone}


def unpublished(connection: Connection, rules: Sequence[str], limit: int) -> list[Warning]:
    """Warnings of published rules whose state is ahead of what was published (1 = open, 2 = closed)."""
    t = warnings
    query = (
        select(t)
        .where(
            t.c.rule.in_(list(rules)),
            # On SQLite the driver commits a warning's insert with its savepoint, before its number is set
            # in the same evaluation: published then, it would go under a key without its number.
            t.c.number != "",
            ((t.c.state == State.OPEN.value) & (t.c.published_version < 1))
            | ((t.c.state == State.CLOSED.value) & (t.c.published_version < 2)),
        )
        .order_by(t.c.id)
        .limit(limit)
    )
    return [_warning(row) for row in connection.execute(query)]


def mark_published(connection: Connection, versions: Sequence[tuple[int, int]]) -> None:
    """Records what was published: (warning id, version), never moving a warning's version back."""
    for version in (1, 2):
        ids = [i for i, v in versions if v == version]
        if ids:
            connection.execute(
                update(warnings)
                .where(warnings.c.id.in_(ids), warnings.c.published_version < version)
                .values(published_version=version)
            )


def counts(connection: Connection) -> dict[str, Any]:
    """Raised, open, closed (and by departments), mean days to close, per rule; outbox states."""
    by_rule: dict[str, dict[str, Any]] = {}
    query = select(
        warnings.c.rule,
        warnings.c.state,
        warnings.c.closed_by,
        func.count().label("n"),
        func.avg(warnings.c.closed_day - warnings.c.raised_day).label("days"),
    ).group_by(warnings.c.rule, warnings.c.state, warnings.c.closed_by)
    for row in connection.execute(query):
        entry = by_rule.setdefault(row.rule, {"raised": 0, "open": 0, "closed": 0, "by_department": 0, "days": []})
        entry["raised"] += row.n
        if row.state == State.OPEN.value:
            entry["open"] += row.n
        else:
            entry["closed"] += row.n
            entry["days"].append((row.n, float(row.days or 0.0)))
            if row.closed_by != AUTO:
                entry["by_department"] += row.n
    states: dict[str, int] = dict(
        connection.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    )
    return {"rules": by_rule, "sent": int(states.get(SENT, 0)), "dead": int(states.get(DEAD, 0))}


def registration_counts(connection: Connection, rule: Rule, today: int) -> tuple[int, int]:
    """Entities of the rule's `when` past its deadline, and those of them with every `missing` fact by now."""
    a = facts.alias("a")
    due = and_(a.c.kind == rule.when, a.c.event_day <= today - rule.days)
    total = connection.execute(select(func.count(func.distinct(a.c.entity_key))).where(due)).scalar_one()
    complete = connection.execute(
        select(func.count(func.distinct(a.c.entity_key))).where(due, ~or_(*_missing_conditions(rule, a, within=False)))
    ).scalar_one()
    return int(total), int(complete)
