"""The seed's year as data: who registers, deregisters, dies, is paid, is relieved and applies, with the
truth of what each rule should find. Seeded and pure: the same seed and scale give the same year."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code

YEAR_START = dt.date(2008, 1, 1)
DAYS = 366  # 2008 was a leap year
DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115", "440116")
THE_DISTRICT = "440106"  # Tianhe, the district of the district-return scenario
WARNING_DAYS, REMINDER_DAYS, DEREGISTRATION_DAYS, PENSION_GRACE_DAYS = 30, 20, 30, 31
INCOME_LINE = 36000


@dataclass
class Enterprise:
    key: str
    name: str
    division: str
    day: int  # registered at the business bureau
    phone: str
    local_day: int | None  # tax registration days (None: never)
    national_day: int | None
    closes_warning_day: int | None = None  # the tax bureau closes its warning then, if still open
    deregister_day: int | None = None
    local_dereg_day: int | None = None
    national_dereg_day: int | None = None


@dataclass
class Person:
    key: str
    name: str
    death_day: int | None = None
    paid_days: list[int] = field(default_factory=list)


@dataclass
class Applicant:
    key: str
    name: str
    claimed_name: str
    marital: str
    claimed_marital: str
    status: str
    income: int
    members: list[str]
    housing_owner: str | None  # whose property is registered, if anyone's
    vehicle_owner: str | None
    eligible: bool
    member_names: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    seed: int
    scale: float
    enterprises: list[Enterprise]
    pensioners: list[Person]
    relief: list[tuple[int, str, str]]  # (day, department, citizen ID)
    applicants: list[Applicant]
    tax_total_batches: list[tuple[int, list[str]]]  # (day, credit codes)

    def day(self, n: int) -> dt.date:
        return YEAR_START + dt.timedelta(days=n)

    # -- truth ---------------------------------------------------------------------------------

    def truth_no_tax_registration(self, last: int) -> set[str]:
        def late(day: int, registered: int | None) -> bool:
            return registered is None or registered > day + WARNING_DAYS

        return {
            e.key
            for e in self.enterprises
            if e.day + WARNING_DAYS <= last and (late(e.day, e.local_day) or late(e.day, e.national_day))
        }

    def truth_reminders(self, last: int) -> set[str]:
        def late(e: Enterprise, registered: int | None) -> bool:
            return registered is None or registered > e.day + REMINDER_DAYS

        return {
            e.key
            for e in self.enterprises
            if e.day + REMINDER_DAYS <= last and e.phone and (late(e, e.local_day) or late(e, e.national_day))
        }

    def truth_deregistered_not_at_tax(self, last: int) -> set[str]:
        found = set()
        for e in self.enterprises:
            if e.deregister_day is None or e.deregister_day + DEREGISTRATION_DAYS > last:
                continue
            limit = e.deregister_day + DEREGISTRATION_DAYS
            pairs = ((e.local_day, e.local_dereg_day), (e.national_day, e.national_dereg_day))
            if any(reg is not None and reg <= last and (dereg is None or dereg > limit) for reg, dereg in pairs):
                found.add(e.key)
        return found

    def truth_pension_after_death(self) -> set[str]:
        return {
            p.key
            for p in self.pensioners
            if p.death_day is not None and any(d > p.death_day + PENSION_GRACE_DAYS for d in p.paid_days)
        }

    def truth_duplicate_relief(self) -> set[str]:
        sources: dict[str, set[str]] = defaultdict(set)
        for _day, department, key in self.relief:
            sources[key].add(department)
        return {key for key, found in sources.items() if len(found) > 1}

    def truth_tax_registration_rate(self, last: int) -> float | None:
        due = [e for e in self.enterprises if e.day + WARNING_DAYS <= last]
        if not due:
            return None

        def done(day: int | None) -> bool:
            return day is not None and day <= last

        return sum(done(e.local_day) and done(e.national_day) for e in due) / len(due)


def build(seed: int = 2008, scale: float = 1.0) -> World:
    rng = random.Random(seed)  # noqa: S311 - a repeatable simulation, not a secret
    return World(
        seed,
        scale,
        _enterprises(rng, max(1, round(34_000 * scale))),
        _pensioners(rng, max(1, round(1_000 * scale)), max(1, round(300 * scale))),
        _relief(rng, max(1, round(3_000 * scale))),
        _applicants(rng, max(1, round(20_000 * scale))),
        [],
    )


def _enterprises(rng: random.Random, count: int) -> list[Enterprise]:
    found = []
    for n in range(count):
        division = rng.choice(DISTRICTS)
        day = rng.randrange(0, DAYS - 31)
        kind = rng.random()
        if kind < 0.48:  # registers for tax in time
            local, national = day + rng.randint(1, WARNING_DAYS), day + rng.randint(1, WARNING_DAYS)
        elif kind < 0.94:  # registers late, after the warning
            local, national = day + rng.randint(1, 90), day + rng.randint(WARNING_DAYS + 1, 90)
        else:  # never registers
            local, national = None, None
        enterprise = Enterprise(
            make_credit_code(division, 10_000 + n),
            f"广州市{_trade(rng)}有限公司{n}",
            division,
            day,
            f"139{rng.randrange(10**8):08d}" if rng.random() < 0.9 else "",
            local if local is not None and local < DAYS else None,
            national if national is not None and national < DAYS else None,
        )
        if kind >= 0.94 and rng.random() < 0.8:  # the tax bureau follows up the warning
            enterprise.closes_warning_day = day + WARNING_DAYS + rng.randint(3, 30)
        if kind < 0.48 and rng.random() < 0.06:  # deregisters later in the year
            registered = max(local or day, national or day)
            dereg = registered + rng.randint(10, 120)
            if dereg < DAYS:
                enterprise.deregister_day = dereg
                if rng.random() < 0.7:
                    enterprise.local_dereg_day = dereg + rng.randint(1, DEREGISTRATION_DAYS)
                    enterprise.national_dereg_day = dereg + rng.randint(1, DEREGISTRATION_DAYS)
        found.append(enterprise)
    return found


def _trade(rng: random.Random) -> str:
    return rng.choice(("贸易", "科技", "餐饮", "建材", "服装", "电子", "物流", "咨询", "印刷", "医药"))


def person_key(n: int) -> str:
    return make_citizen_id(rng_division(n), dt.date(1940, 1, 1) + dt.timedelta(days=n // 1000), n % 1000)


def rng_division(n: int) -> str:
    return DISTRICTS[n % len(DISTRICTS)]


def _pensioners(rng: random.Random, count: int, deaths: int) -> list[Person]:
    people = [Person(person_key(n), f"老人{n}") for n in range(count)]
    for person in rng.sample(people, min(deaths, count)):
        person.death_day = rng.randrange(0, DAYS - 60)
    for person in people:
        still_paid = person.death_day is not None and rng.random() < 0.1
        for month in range(1, 13):
            day = (dt.date(2008, month, 15) - YEAR_START).days
            if person.death_day is None or day <= person.death_day + 20 or still_paid:
                person.paid_days.append(day)
    return people


def _relief(rng: random.Random, households: int) -> list[tuple[int, str, str]]:
    found = []
    for n in range(households):
        key = person_key(200_000 + n)
        found.append((rng.randrange(0, DAYS), "CAB", key))
        if rng.random() < 0.1:
            found.append((rng.randrange(0, DAYS), "CAB", key))  # twice from one department: not a duplicate
        if rng.random() < 0.02:
            found.append((rng.randrange(0, DAYS), "YUEXIU", key))  # the same relief from the district too
    return found


def _applicants(rng: random.Random, count: int) -> list[Applicant]:
    found = []
    for n in range(count):
        key, members = person_key(400_000 + 3 * n), [person_key(400_000 + 3 * n + m) for m in (1, 2)]
        members = members[: rng.randint(0, 2)]
        applicant = Applicant(
            key,
            f"申请人{n}",
            f"申请人{n}",
            "已婚" if members else "未婚",
            "",
            "正常",
            rng.randrange(12_000, 34_000),
            members,
            None,
            None,
            True,
            {m: f"家属{n}-{i}" for i, m in enumerate(members)},
        )
        applicant.claimed_marital = applicant.marital
        flaw = rng.random()
        if flaw < 0.08:
            applicant.income = rng.randrange(INCOME_LINE + 1, 90_000)
        elif flaw < 0.14:
            applicant.housing_owner = rng.choice([key, *members])
        elif flaw < 0.18:
            applicant.vehicle_owner = rng.choice([key, *members])
        elif flaw < 0.21:
            applicant.claimed_marital = "未婚" if applicant.marital == "已婚" else "已婚"
        elif flaw < 0.23:
            applicant.claimed_name = f"冒名{n}"
        elif flaw < 0.24:
            applicant.status = "迁出"
        applicant.eligible = flaw >= 0.24
        found.append(applicant)
    return found
