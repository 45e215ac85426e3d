"""The warning rules file: the shipped rules load, and every mistake is named with its line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.apps.warnings.domain.rules import Action, RulesError, Shape, load_rules, parse_rules
from govmesh.apps.warnings.main import SHIPPED_RULES

GOOD = """\
facts:
  registered: {subjects: ["102.001"]}
  tax_registered: {subjects: ["102.020", "102.030"]}
rules:
  - id: no-tax
    shape: missing
    when: registered
    missing: [{fact: tax_registered}]
    days: 30
    notify: [LTAX]
"""


def test_the_shipped_rules_are_the_five_rules_of_the_seed() -> None:
    rules = load_rules(SHIPPED_RULES)
    assert [r.id for r in rules.rules] == [
        "no-tax-registration",
        "deregistered-not-at-tax",
        "pension-after-death",
        "duplicate-relief",
        "tax-registration-reminder",
    ]
    assert [r.subject for r in rules.rules][:3] == ["206.001", "206.002", "206.003"]
    assert rules.rule("tax-registration-reminder").action is Action.REMIND
    assert rules.rule("pension-after-death").shape is Shape.FOLLOWED_BY
    assert "102.001" in rules.subjects() and "351.004" in rules.subjects()


def test_a_good_file_loads_with_facts_by_subject() -> None:
    rules = parse_rules(GOOD)
    assert rules.kinds_by_subject == {
        "102.001": ("registered",),
        "102.020": ("tax_registered",),
        "102.030": ("tax_registered",),
    }
    assert rules.rules[0].line == 5


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("days: 30", "days: thirty"), 9, "whole number of days"),
        (("when: registered", "when: opened"), 7, "does not define"),
        (("shape: missing", "shape: sometimes"), 6, "`shape` must be one of"),
        (("notify: [LTAX]", "notify: [ltax]"), 10, "not a department code"),
        (('["102.001"]', '["102"]'), 2, "not a subject code"),
        (("id: no-tax", "id: No Tax"), 5, "`id`"),
        (("    missing: [{fact: tax_registered}]\n", ""), 5, "lists what should follow"),
    ],
)
def test_every_mistake_is_reported_with_the_line_it_is_on(change: tuple[str, str], line: int, words: str) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(GOOD.replace(*change), "rules.yaml")
    assert f"rules.yaml:{line}:" in str(raised.value)
    assert words in str(raised.value)


def test_a_rule_id_used_twice_is_refused_at_the_second() -> None:
    text = GOOD + GOOD.split("rules:\n", 1)[1]
    with pytest.raises(RulesError, match=r"rules.yaml:11: .*used twice"):
        parse_rules(text, "rules.yaml")


def test_broken_yaml_names_its_line() -> None:
    with pytest.raises(RulesError, match=r"rules.yaml:3: not valid YAML"):
        parse_rules("facts:\n  a: {subjects: [\n  b: ]]\n", "rules.yaml")


@given(st.text(max_size=200))
def test_any_text_either_loads_or_fails_with_a_rules_error(text: str) -> None:
    try:
        parse_rules(text, "f.yaml")
    except RulesError as error:
        assert str(error).startswith("f.yaml:")


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_days_are_accepted_exactly_from_0_to_3650(days: int) -> None:
    text = GOOD.replace("days: 30", f"days: {days}")
    if 0 <= days <= 3650:
        assert parse_rules(text).rules[0].days == days
    else:
        with pytest.raises(RulesError, match="whole number of days"):
            parse_rules(text)
