"""The demo's report: each figure as the system computed it from its own data, beside the simulator's truth."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from govmesh.apps.warnings.domain.model import Figures
from govmesh.cli.demo.run import Simulation
from govmesh.cli.demo.world import DAYS, THE_DISTRICT, World

RULES = {
    "no-tax-registration": "truth_no_tax_registration",
    "deregistered-not-at-tax": "truth_deregistered_not_at_tax",
    "pension-after-death": "truth_pension_after_death",
    "duplicate-relief": "truth_duplicate_relief",
}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _precision_recall(found: set[str], truth: set[str]) -> dict[str, Any]:
    hits = len(found & truth)
    return {
        "found": len(found),
        "truth": len(truth),
        "precision": _ratio(hits, len(found)) if found else (1.0 if not truth else None),
        "recall": _ratio(hits, len(truth)) if truth else (1.0 if not found else None),
    }


async def build_report(sim: Simulation) -> dict[str, Any]:
    world = sim.world
    figures = sim.app.figures()
    by_subject, total = await sim.ledger()
    rules = _rule_scores(sim)
    figures_row = [
        *_warning_figures(sim, figures, by_subject, rules),
        *_application_figures(sim, figures, rules),
        ("records exchanged (ledger)", total.exchanged_records if total is not None else None, None),
    ]
    return {
        "seed": world.seed,
        "scale": world.scale,
        "figures": [{"figure": name, "system": system, "truth": truth} for name, system, truth in figures_row],
        "rules": rules,
        "timings": {k: round(v, 1) for k, v in sim.timings.items()},
        "records_published": dict(sorted(sim.published.items())),
    }


def _rule_scores(sim: Simulation) -> dict[str, dict[str, Any]]:
    """Each warning rule's precision and recall against the simulator's truth on the last day."""
    world, last = sim.world, DAYS - 1
    rules = {}
    for rule, truth_of in RULES.items():
        method = getattr(world, truth_of)
        truth = method(last) if truth_of in ("truth_no_tax_registration", "truth_deregistered_not_at_tax") else method()
        rules[rule] = _precision_recall(sim.warned(rule), truth)
    return rules


def _closed_truth(world: World, warned_truth: set[str], last: int) -> set[str]:
    """The warned enterprises whose warning truly closed by `last`: registered at both bureaus, or closed."""
    return {
        e.key
        for e in world.enterprises
        if e.key in warned_truth
        and (
            (e.local_day is not None and e.national_day is not None and max(e.local_day, e.national_day) <= last)
            or (e.closes_warning_day is not None and e.closes_warning_day <= last)
        )
    }


Row = tuple[str, Any, Any]


def _warning_figures(
    sim: Simulation, figures: Figures, by_subject: dict[str, Any], rules: dict[str, dict[str, Any]]
) -> list[Row]:
    """The exchange of enterprises and the warnings, reminders and follow-up it led to."""
    world, last = sim.world, DAYS - 1
    reminded_truth = world.truth_reminders(last)
    warned_truth = world.truth_no_tax_registration(last)
    closed_truth = _closed_truth(world, warned_truth, last)
    enterprises = by_subject.get("subjects/102.001")
    return [
        (
            "enterprises exchanged (102.001 published)",
            enterprises.published_records if enterprises else 0,
            len(world.enterprises),
        ),
        ("warnings raised (应办未办税务登记)", figures.raised.get("no-tax-registration", 0), len(warned_truth)),
        (
            "warnings raised (已办工商注销未办税务注销)",
            figures.raised.get("deregistered-not-at-tax", 0),
            rules["deregistered-not-at-tax"]["truth"],
        ),
        (
            "warnings raised (死亡人员待遇停发)",
            figures.raised.get("pension-after-death", 0),
            rules["pension-after-death"]["truth"],
        ),
        ("reminders sent (温馨提示)", figures.reminders_sent, len(reminded_truth)),
        ("follow-up rate", figures.follow_up_rate("no-tax-registration"), _ratio(len(closed_truth), len(warned_truth))),
        ("tax registration rate", figures.tax_registration_rate, world.truth_tax_registration_rate(last)),
    ]


def _application_figures(sim: Simulation, figures: Figures, rules: dict[str, dict[str, Any]]) -> list[Row]:
    """What the other applications answered: verifications, duplicate relief, tax totals, the district return."""
    world = sim.world
    outcomes = sim.observed.verification
    ineligible = sum(not o.eligible for o in outcomes)
    truth_ineligible = sum(not a.eligible for a in world.applicants)
    lines = sim.observed.tax_lines
    held = {e.key for e in world.enterprises if e.local_day is not None and e.national_day is not None}
    return [
        ("applications verified", len(outcomes), len(world.applicants)),
        ("share ineligible", _ratio(ineligible, len(outcomes)), _ratio(truth_ineligible, len(world.applicants))),
        ("duplicate relief found", figures.raised.get("duplicate-relief", 0), rules["duplicate-relief"]["truth"]),
        (
            "tax-total lines answered by both bureaus",
            sum(not line.partial for line in lines),
            sum(line.credit_code in held for line in lines),
        ),
        (
            f"district {THE_DISTRICT}: its enterprises received",
            len(sim.observed.district_keys),
            sum(e.division == THE_DISTRICT for e in world.enterprises),
        ),
        (f"district {THE_DISTRICT}: other districts' rows received", sim.observed.district_foreign_rows, 0),
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}"
    return f"{value:,}"


def tables(report: dict[str, Any]) -> list[Table]:
    figures = Table(title=f"govmesh demo — the seed's year (seed {report['seed']}, scale {report['scale']})")
    for column, justify in (("figure", "left"), ("system", "right"), ("truth", "right")):
        figures.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report["figures"]:
        figures.add_row(row["figure"], _shown(row["system"]), _shown(row["truth"]))
    rules = Table(title="warning rules: the system's warnings against the truth")
    for column in ("rule", "raised", "truth", "precision", "recall"):
        rules.add_column(column, justify="left" if column == "rule" else "right")
    for rule, row in report["rules"].items():
        rules.add_row(rule, _shown(row["found"]), _shown(row["truth"]), _shown(row["precision"]), _shown(row["recall"]))
    return [figures, rules]
