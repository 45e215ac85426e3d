"""One request scattered to local and national tax; one line per enterprise, partial answers marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govmesh.apps.mesh import Stub, python_value
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

SHIPPED_GRANTS = Path(__file__).with_name("grants.yaml")
# Each bureau's subject of annual tax totals, and its items: year and total.
BUREAUS = {"LTAX": "301.001", "NTAX": "301.002"}
BATCH = 5_000
# How long the hub waits for the bureaus' answers by default; the call's deadline allows a margin beyond it.
DEFAULT_WAIT_SECONDS = 60.0
DEADLINE_MARGIN_SECONDS = 10.0


@dataclass
class Line:
    """One enterprise: per bureau its status (ANSWERED, NO_RECORD, NO_ANSWER, TIMED_OUT, DENIED, FAILED)
    and total (text, as the bureau declared it; empty unless ANSWERED)."""

    credit_code: str
    status: dict[str, str] = field(default_factory=dict)
    total: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return any(s != "ANSWERED" for s in self.status.values())

    def as_dict(self) -> dict[str, Any]:
        return {"credit_code": self.credit_code, "partial": self.partial, "status": self.status, "total": self.total}


def request_of(
    credit_codes: Sequence[str], year: int, purpose: str, wait: float = DEFAULT_WAIT_SECONDS
) -> pb.SendRequestRequest:
    subjects = list(BUREAUS.values())
    request = pb.SendRequestRequest(
        kind=pb.REQUEST_KIND_READ,
        subjects=[f"subjects/{s}" for s in subjects],
        items=[f"{s}.{n}" for s in subjects for n in ("001", "004", "005")],
        entity_keys=list(credit_codes),
        question=f"annual tax total {year}",
        parameters={"year": str(year)},
        purpose=purpose,
        to_subject_providers=True,
        wait_mode=pb.WAIT_MODE_WAIT,
    )
    request.max_wait.FromMilliseconds(round(wait * 1000))
    return request


def lines_of(credit_codes: Sequence[str], request: pb.DataRequest, year: int) -> list[Line]:
    lines = {code: Line(code) for code in credit_codes}
    for reply in request.replies:
        subject = BUREAUS.get(reply.target)
        if subject is None:
            continue
        found: dict[str, str] = {}
        for record in reply.records:
            values = record.values
            if values.get(f"{subject}.004") is not None and python_value(values[f"{subject}.004"]) != year:
                continue
            if f"{subject}.005" in values:
                found[record.entity_key] = values[f"{subject}.005"].decimal_value
        status = pb.ReplyStatus.Name(reply.status).removeprefix("REPLY_STATUS_")
        for code, line in lines.items():
            if status == "ANSWERED":
                line.status[reply.target] = "ANSWERED" if code in found else "NO_RECORD"
                if code in found:
                    line.total[reply.target] = found[code]
            else:
                line.status[reply.target] = "NO_ANSWER" if status == "PENDING" else status
    for line in lines.values():
        for bureau in BUREAUS:
            line.status.setdefault(bureau, "NO_ANSWER")
    return list(lines.values())


async def tax_totals(
    stub: Stub,
    credit_codes: Sequence[str],
    year: int,
    *,
    purpose: str = "赴港澳商务通行证",
    wait: float = DEFAULT_WAIT_SECONDS,
) -> list[Line]:
    """One line per enterprise; a bureau that has not answered within `wait` seconds is marked NO_ANSWER."""
    unique = list(dict.fromkeys(credit_codes))
    lines: list[Line] = []
    for start in range(0, len(unique), BATCH):
        batch = unique[start : start + BATCH]
        response = await stub.SendRequest(
            request_of(batch, year, purpose, wait), timeout=wait + DEADLINE_MARGIN_SECONDS
        )
        lines += lines_of(batch, response.request, year)
    return lines
