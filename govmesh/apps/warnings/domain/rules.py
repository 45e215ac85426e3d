"""Warning rules as a maintainer writes them in YAML, checked on load with errors that name the line."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUBJECT_CODE = re.compile(r"\d{3}\.\d{3}")
ITEM_CODE = re.compile(r"\d{3}\.\d{3}\.\d{3}")
RULE_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
DEPARTMENT = re.compile(r"[A-Z][A-Z0-9_-]{0,31}")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and line of the first problem."""


class Shape(enum.Enum):
    """What a rule looks for in the stored facts."""

    MISSING = "missing"  # A, and no B within N days of it (an anti-join)
    FOLLOWED_BY = "followed_by"  # A, then B after it (e.g. a pension paid after a death)
    DUPLICATE = "duplicate"  # the same fact about one entity from several departments within N days


class Action(enum.Enum):
    WARN = "warn"  # a warning to the responsible departments, until they close it
    REMIND = "remind"  # a reminder to the entity itself, through the notifier


@dataclass(frozen=True)
class FactKind:
    """Records of these subjects are kept as facts of this name; optional items worth keeping."""

    name: str
    subjects: tuple[str, ...]
    name_item: str = ""
    phone_item: str = ""


@dataclass(frozen=True)
class Missing:
    """One thing that should follow: `fact` within the rule's days, counted only when `if_fact` exists."""

    fact: str
    label: str
    if_fact: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    shape: Shape
    action: Action
    when: str
    days: int
    missing: tuple[Missing, ...] = ()
    followed_by: str = ""
    min_sources: int = 2
    subject: str = ""  # the warnings subject a warning is published as; empty keeps it in the application
    notify: tuple[str, ...] = ()
    message: str = ""
    line: int = 0

    @property
    def kinds(self) -> frozenset[str]:
        """The facts whose arrival can change what the rule finds about an entity."""
        missing = {m.fact for m in self.missing} | {m.if_fact for m in self.missing}
        return frozenset({self.when, self.followed_by, *missing} - {""})


@dataclass(frozen=True)
class RuleSet:
    facts: dict[str, FactKind]
    rules: tuple[Rule, ...]
    kinds_by_subject: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def subjects(self) -> list[str]:
        return sorted(self.kinds_by_subject)

    def kinds_of(self, subjects: Iterable[str]) -> frozenset[str]:
        """The facts records of these subjects (codes, e.g. 102.001) carry."""
        return frozenset(kind for subject in subjects for kind in self.kinds_by_subject.get(subject, ()))


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping and of each of its keys, so errors can name them."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = _Mapping({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    mapping.lines = {str(k.value): k.start_mark.line + 1 for k, _v in node.value}
    return mapping


class _Mapping(dict[str, Any]):
    line = 0
    lines: dict[str, int]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Reads one file's mappings, raising RulesError with `file:line` at the first problem."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, mapping: Any, key: str, message: str) -> RulesError:
        line = mapping.lines.get(key, mapping.line) if isinstance(mapping, _Mapping) else 0
        return RulesError(f"{self.source}:{line}: {message}")

    def text(
        self, mapping: Any, key: str, pattern: re.Pattern[str] | None = None, *, default: str | None = None
    ) -> str:
        if key not in mapping:
            if default is not None:
                return default
            raise self.fail(mapping, key, f"`{key}` is required")
        value = mapping[key]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(mapping, key, f"`{key}` must be text")
        value = str(value)
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(mapping, key, f"`{key}` {value!r} is not valid (expected {pattern.pattern})")
        return value

    def days(self, mapping: Any, key: str) -> int:
        value = mapping.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
            raise self.fail(mapping, key, f"`{key}` must be a whole number of days from 0 to 3650")
        return value

    def listed(self, mapping: Any, key: str) -> list[Any]:
        value = mapping.get(key, [])
        if not isinstance(value, list):
            raise self.fail(mapping, key, f"`{key}` must be a list")
        return value


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Parses and checks a rules document; every problem is reported as `source:line: what is wrong`."""
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise RulesError(f"{source}:{line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    reader = _Reader(source)
    if not isinstance(document, _Mapping):
        raise RulesError(f"{source}:1: expected a mapping with `facts` and `rules`")
    facts = _read_facts(reader, document)
    rules: list[Rule] = []
    seen: set[str] = set()
    for entry in reader.listed(document, "rules"):
        rule = _read_rule(reader, entry, facts)
        if rule.id in seen:
            raise reader.fail(entry, "id", f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
        rules.append(rule)
    if not rules:
        raise reader.fail(document, "rules", "`rules` must list at least one rule")
    by_subject: dict[str, list[str]] = {}
    for kind in facts.values():
        for subject in kind.subjects:
            by_subject.setdefault(subject, []).append(kind.name)
    return RuleSet(facts, tuple(rules), {s: tuple(k) for s, k in by_subject.items()})


def load_rules(path: Path) -> RuleSet:
    return parse_rules(path.read_text(encoding="utf-8"), str(path))


def _read_facts(reader: _Reader, document: _Mapping) -> dict[str, FactKind]:
    raw = document.get("facts")
    if not isinstance(raw, _Mapping) or not raw:
        raise reader.fail(document, "facts", "`facts` must map fact names to the subjects they come from")
    facts: dict[str, FactKind] = {}
    for name, spec in raw.items():
        if not RULE_ID.fullmatch(name.replace("_", "-")):
            raise reader.fail(raw, name, f"fact name {name!r} must be lower case letters, digits and underscores")
        if not isinstance(spec, _Mapping):
            raise reader.fail(raw, name, f"fact {name!r} must be a mapping with `subjects`")
        subjects = reader.listed(spec, "subjects")
        if not subjects:
            raise reader.fail(spec, "subjects", f"fact {name!r} needs at least one subject")
        for subject in subjects:
            if not SUBJECT_CODE.fullmatch(str(subject)):
                raise reader.fail(spec, "subjects", f"{subject!r} is not a subject code like 102.001")
        facts[name] = FactKind(
            name,
            tuple(str(s) for s in subjects),
            reader.text(spec, "name_item", ITEM_CODE, default=""),
            reader.text(spec, "phone_item", ITEM_CODE, default=""),
        )
    return facts


def _fact(reader: _Reader, mapping: Any, key: str, facts: dict[str, FactKind]) -> str:
    name = reader.text(mapping, key)
    if name not in facts:
        raise reader.fail(mapping, key, f"`{key}` names the fact {name!r}, which `facts` does not define")
    return name


def _read_rule(reader: _Reader, entry: Any, facts: dict[str, FactKind]) -> Rule:
    if not isinstance(entry, _Mapping):
        raise RulesError(f"{reader.source}: every rule must be a mapping")
    rule_id = reader.text(entry, "id", RULE_ID)
    try:
        shape = Shape(reader.text(entry, "shape"))
    except ValueError:
        raise reader.fail(entry, "shape", f"`shape` must be one of {', '.join(s.value for s in Shape)}") from None
    try:
        action = Action(reader.text(entry, "action", default="warn"))
    except ValueError:
        raise reader.fail(entry, "action", f"`action` must be one of {', '.join(a.value for a in Action)}") from None
    missing: list[Missing] = []
    for item in reader.listed(entry, "missing"):
        if not isinstance(item, _Mapping):
            raise reader.fail(entry, "missing", "each `missing` entry must be a mapping with `fact`")
        fact = _fact(reader, item, "fact", facts)
        if_fact = _fact(reader, item, "if", facts) if "if" in item else ""
        missing.append(Missing(fact, reader.text(item, "label", default=fact), if_fact))
    if shape is Shape.MISSING and not missing:
        raise reader.fail(entry, "missing", "a `missing` rule lists what should follow under `missing`")
    followed_by = _fact(reader, entry, "followed_by", facts) if shape is Shape.FOLLOWED_BY else ""
    notify = [str(code) for code in reader.listed(entry, "notify")]
    for code in notify:
        if not DEPARTMENT.fullmatch(code):
            raise reader.fail(entry, "notify", f"{code!r} is not a department code like LTAX")
    if action is Action.WARN and not notify:
        raise reader.fail(entry, "notify", "a warning rule names the departments responsible under `notify`")
    if action is Action.REMIND and shape is not Shape.MISSING:
        raise reader.fail(entry, "action", "only a `missing` rule can remind (the entity of its `when` fact)")
    min_sources = entry.get("min_sources", 2)
    if not isinstance(min_sources, int) or isinstance(min_sources, bool) or min_sources < 2:
        raise reader.fail(entry, "min_sources", "`min_sources` must be a whole number of at least 2")
    return Rule(
        id=rule_id,
        title=reader.text(entry, "title", default=rule_id),
        shape=shape,
        action=action,
        when=_fact(reader, entry, "when", facts),
        days=reader.days(entry, "days"),
        missing=tuple(missing),
        followed_by=followed_by,
        min_sources=min_sources,
        subject=reader.text(entry, "subject", SUBJECT_CODE, default=""),
        notify=tuple(notify),
        message=reader.text(entry, "message", default=""),
        line=entry.line,
    )
