"""Batch verification through the gateway: claims to the providers of their subjects, verdicts back, one
eligibility per applicant with a reason code per claim."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govmesh.apps.mesh import Stub
from govmesh.apps.verification.domain import Applicant, Check, ClaimSpec, Outcome, checks, eligibility, parse_claims
from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

SHIPPED_CLAIMS = Path(__file__).with_name("claims.yaml")
SETUP = Path(__file__).with_name("setup.yaml")
# Entities per request: below the exchange's 10,000 entity keys, and replies that fit a message.
BATCH_ENTITIES = 2_000
# How long the hub waits for the departments' verdicts by default; the call's deadline allows a margin
# beyond it for the answer to come back.
DEFAULT_WAIT_SECONDS = 110.0
DEADLINE_MARGIN_SECONDS = 10.0
# Batches in flight at once: the departments answer one while the next is on its way.
CONCURRENT_BATCHES = 4
_OPERATOR = {
    "equals": pb.PREDICATE_OPERATOR_EQUALS,
    "less_than": pb.PREDICATE_OPERATOR_LESS_THAN,
    "at_most": pb.PREDICATE_OPERATOR_AT_MOST,
    "within_range": pb.PREDICATE_OPERATOR_WITHIN_RANGE,
    "absent": pb.PREDICATE_OPERATOR_ABSENT,
    "in_set": pb.PREDICATE_OPERATOR_IN_SET,
}
_FIELD = {
    "string": "string_value",
    "enum": "enum_value",
    "decimal": "decimal_value",
    "date": "date_value",
}


def shipped_claims() -> list[ClaimSpec]:
    return parse_claims(SHIPPED_CLAIMS.read_text(encoding="utf-8"), str(SHIPPED_CLAIMS))


def _operand(value: object, value_type: str) -> cpb.FieldValue:
    if value_type == "integer":
        return cpb.FieldValue(integer_value=int(str(value)))
    field = cpb.FieldValue()
    setattr(field, _FIELD.get(value_type, "string_value"), str(value))
    return field


def batches(applicants: Sequence[Applicant], specs: Sequence[ClaimSpec]) -> list[list[Applicant]]:
    """Applicants in batches of at most BATCH_ENTITIES entities, never two different claims on one
    (entity, item) in a batch (verdicts are matched back by entity and item)."""
    result: list[list[Applicant]] = [[]]
    seen: dict[tuple[str, str], tuple[str, tuple[object, ...]]] = {}
    entities: set[str] = set()
    for applicant in applicants:
        mine = checks(applicant, specs)
        keys = {(c.entity_key, c.item): (c.operator, c.operands) for c in mine}
        clash = any(k in seen and seen[k] != v for k, v in keys.items())
        grown = entities | {c.entity_key for c in mine}
        if result[-1] and (clash or len(grown) > BATCH_ENTITIES):
            result.append([])
            seen, grown = {}, {c.entity_key for c in mine}
        result[-1].append(applicant)
        seen.update(keys)
        entities = grown
    return [b for b in result if b]


def request_of(
    applicants: Sequence[Applicant], specs: Sequence[ClaimSpec], purpose: str, wait: float = DEFAULT_WAIT_SECONDS
) -> pb.SendRequestRequest:
    by_entity: dict[str, dict[str, Check]] = {}
    for applicant in applicants:
        for check in checks(applicant, specs):
            by_entity.setdefault(check.entity_key, {})[check.item] = check
    claims = []
    for entity, found in by_entity.items():
        claim = pb.Claim(entity_key=entity)
        for check in found.values():
            claim.predicates.add(
                item=check.item,
                operator=_OPERATOR[check.operator],
                operands=[_operand(o, check.value_type) for o in check.operands],
            )
        claims.append(claim)
    request = pb.SendRequestRequest(
        kind=pb.REQUEST_KIND_VERIFY,
        subjects=sorted({f"subjects/{s.subject}" for s in specs}),
        claims=claims,
        to_subject_providers=True,
        question="限价房申请资格核验",
        purpose=purpose,
        wait_mode=pb.WAIT_MODE_WAIT,
    )
    request.max_wait.FromMilliseconds(round(wait * 1000))
    return request


async def _verifications(stub: Stub, request: pb.DataRequest) -> tuple[list[pb.VerificationResult], set[str]]:
    """Every verdict gathered, paging through the replies a response had to leave out."""
    found: list[pb.VerificationResult] = []
    answered: set[str] = set()
    for reply in request.replies:
        if reply.status == pb.REPLY_STATUS_ANSWERED:
            answered.update(s.removeprefix("subjects/") for s in reply.subjects)
        if not reply.records_omitted:
            found += reply.verifications
            continue
        token = ""
        while True:
            page = await stub.ListReplies(
                pb.ListRepliesRequest(parent=request.name, target=reply.target, page_size=100, page_token=token)
            )
            for chunk in page.replies:
                found += chunk.verifications
            token = page.next_page_token
            if not token:
                break
    return found, answered


async def verify(
    stub: Stub,
    applicants: Sequence[Applicant],
    specs: Sequence[ClaimSpec],
    *,
    purpose: str = "限价房",
    wait: float = DEFAULT_WAIT_SECONDS,
) -> list[Outcome]:
    """Verifies applicants batch by batch, a few batches at a time; each gets eligible or not and a reason
    code per claim.

    `wait` bounds how long each batch waits for the departments' verdicts: a department that has not
    answered by then counts as not answering (NO_ANSWER), and its claims as not verified.
    """
    slots = asyncio.Semaphore(CONCURRENT_BATCHES)

    async def one(batch: list[Applicant]) -> list[Outcome]:
        async with slots:
            return await _verify_batch(stub, batch, specs, purpose, wait)

    done = await asyncio.gather(*(one(batch) for batch in batches(applicants, specs)))
    return [outcome for outcomes in done for outcome in outcomes]


async def _verify_batch(
    stub: Stub, batch: list[Applicant], specs: Sequence[ClaimSpec], purpose: str, wait: float
) -> list[Outcome]:
    until = asyncio.get_running_loop().time() + wait
    response = await stub.SendRequest(request_of(batch, specs, purpose, wait), timeout=wait + DEADLINE_MARGIN_SECONDS)
    request = response.request
    if not request.complete:  # the wait ended with targets pending: collect what they answer in time
        request = await _wait_complete(stub, request.name, until)
    verifications, answered = await _verifications(stub, request)
    verdicts = {
        (v.entity_key, item.item): pb.Verdict.Name(item.verdict).removeprefix("VERDICT_")
        for v in verifications
        for item in v.items
    }
    return [eligibility(a, specs, verdicts, answered) for a in batch]


async def _wait_complete(stub: Stub, name: str, until: float) -> pb.DataRequest:
    while True:
        got = (await stub.GetRequest(pb.GetRequestRequest(name=name, view=pb.REQUEST_VIEW_BASIC))).request
        if got.complete or asyncio.get_running_loop().time() >= until:
            full: pb.DataRequest = (
                await stub.GetRequest(pb.GetRequestRequest(name=name, view=pb.REQUEST_VIEW_FULL))
            ).request
            return full
        await asyncio.sleep(0.5)
