"""The records each department of the simulated year publishes, valid against the shipped catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from govmesh.apps import mesh
from govmesh.cli.demo.world import YEAR_START, Applicant, Enterprise
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

ENUMS = frozenset(
    {"102.002.010", "102.020.009", "102.030.009", "102.021.005", "102.031.005", "202.011.011"}
    | {"101.001.025", "101.001.017", "203.001.002", "304.002.002", "304.002.013"}
)
TAX_AUTHORITY = {"LTAX": "广州市地方税务局", "NTAX": "广州市国家税务局"}


def moment(day: int) -> dt.datetime:
    """10:00 in Guangzhou on the day: the same date in the hub's time zone and in UTC."""
    return dt.datetime.combine(YEAR_START + dt.timedelta(days=day), dt.time(2, 0), dt.UTC)


def _record(subject: str, key: str, division: str, day: int, values: dict[str, Any], idem: str) -> pb.Record:
    return mesh.record(subject, key, division, moment(day), values, idem, ENUMS)


def establishment(e: Enterprise) -> pb.Record:
    values: dict[str, Any] = {
        "102.001.001": e.key,
        "102.001.003": e.name,
        "102.001.012": e.division,
        "102.001.015": moment(e.day).date(),
    }
    if e.phone:
        values["102.001.021"] = e.phone
    return _record("102.001", e.key, e.division, e.day, values, f"est-{e.key}")


def tax_registration(e: Enterprise, bureau: str, day: int) -> pb.Record:
    subject = "102.020" if bureau == "LTAX" else "102.030"
    # The tax bureaus write the name without 市: the same enterprise under a variant of its name.
    values = {
        f"{subject}.001": e.key,
        f"{subject}.002": f"{bureau[0]}{e.key[2:17]}",
        f"{subject}.003": e.name.replace("广州市", "广州", 1),
        f"{subject}.008": moment(day).date(),
        f"{subject}.009": "正常",
        f"{subject}.011": e.division,
        f"{subject}.012": TAX_AUTHORITY[bureau],
    }
    return _record(subject, e.key, e.division, day, values, f"taxreg-{bureau}-{e.key}")


def deregistration(e: Enterprise, day: int) -> pb.Record:
    values = {
        "102.002.001": e.key,
        "102.002.003": e.name,
        "102.002.008": e.division,
        "102.002.009": moment(day).date(),
        "102.002.010": "决议解散",
    }
    return _record("102.002", e.key, e.division, day, values, f"dereg-{e.key}")


def tax_deregistration(e: Enterprise, bureau: str, day: int) -> pb.Record:
    subject = "102.021" if bureau == "LTAX" else "102.031"
    division_item = "102.021.009" if bureau == "LTAX" else "102.031.010"
    values = {
        f"{subject}.001": e.key,
        f"{subject}.002": f"{bureau[0]}{e.key[2:17]}",
        f"{subject}.003": e.name.replace("广州市", "广州", 1),
        f"{subject}.004": moment(day).date(),
        f"{subject}.005": "工商注销",
        division_item: e.division,
    }
    return _record(subject, e.key, e.division, day, values, f"taxdereg-{bureau}-{e.key}")


def death(key: str, name: str, day: int) -> pb.Record:
    division = key[:6]
    values = {
        "101.002.001": key,
        "101.002.002": name,
        "101.002.006": moment(day).date(),
        "101.002.012": division,
        "101.002.021": moment(day).date(),
    }
    return _record("101.002", key, division, day, values, f"death-{key}")


def pension(key: str, name: str, day: int) -> pb.Record:
    month = moment(day).date()
    values = {
        "202.011.001": key,
        "202.011.002": name,
        "202.011.003": f"SB{key[-10:]}",
        "202.011.006": f"{month.year:04d}-{month.month:02d}",
        "202.011.007": Decimal("2150.00"),
        "202.011.011": "正常发放",
        "202.011.019": key[:6],
    }
    return _record("202.011", key, key[:6], day, values, f"pension-{key}-{day}")


def relief(department: str, key: str, day: int, n: int) -> pb.Record:
    if department == "CAB":
        values = {
            "202.004.001": f"LS{day:03d}{n:06d}",
            "202.004.002": key,
            "202.004.008": Decimal("300.00"),
            "202.004.009": moment(day).date(),
            "202.004.012": key[:6],
        }
        return _record("202.004", key, key[:6], day, values, f"relief-cab-{n}")
    values = {"351.004.001": key, "351.004.010": moment(day).date(), "351.004.008": "棉被一床"}
    return _record("351.004", key, "440104", day, values, f"relief-yuexiu-{n}")


# -- what departments answer (verification, tax totals), from what they hold ----------------------


def household(key: str, name: str, status: str, marital: str) -> dict[str, Any]:
    return {
        "101.001.001": key,
        "101.001.002": name,
        "101.001.010": key[:6],
        "101.001.025": status,
        "101.001.017": marital,
    }


def holdings_of(
    applicants: list[Applicant], enterprises: list[Enterprise]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """What police, civil affairs, land and the tax bureaus hold on the applicants and enterprises."""
    held: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in applicants:
        held[("101.001", a.key)] = [household(a.key, a.name, a.status, a.marital)]
        for member, name in a.member_names.items():
            held[("101.001", member)] = [household(member, name, "正常", "已婚")]
        held[("202.002", a.key)] = [
            {
                "202.002.001": f"DSR{a.key[-12:]}",
                "202.002.002": a.key,
                "202.002.006": a.key[:6],
                "202.002.010": dt.date(2007, 6, 1),
                "202.002.008": Decimal(a.income),
            }
        ]
        if a.housing_owner:
            held[("203.001", a.housing_owner)] = [
                {
                    "203.001.001": f"粤房地证字第{a.housing_owner[-8:]}号",
                    "203.001.002": "初始登记",
                    "203.001.003": a.name,
                    "203.001.009": "广州市天河区某路1号",
                    "203.001.010": a.housing_owner[:6],
                    "203.001.012": Decimal("75.20"),
                    "203.001.020": dt.date(2006, 3, 1),
                }
            ]
        if a.vehicle_owner:
            held[("304.002", a.vehicle_owner)] = [
                {"304.002.001": f"粤A{a.vehicle_owner[-5:]}", "304.002.002": "小型汽车", "304.002.013": "正常"}
            ]
    for e in enterprises:
        for bureau, subject, day in (("LTAX", "301.001", e.local_day), ("NTAX", "301.002", e.national_day)):
            if day is None:
                continue
            division_item = f"{subject}.016" if bureau == "LTAX" else f"{subject}.013"
            held[(subject, e.key)] = [
                {
                    f"{subject}.001": e.key,
                    f"{subject}.002": e.name,
                    f"{subject}.004": 2008,
                    f"{subject}.005": Decimal(10_000 + int(e.key[-6:-1], 36) % 90_000),
                    division_item: e.division,
                }
            ]
    return held
