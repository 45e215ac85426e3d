"""Grant pages: apply with purpose, legal basis, items, scope and duration; the provider's queue; decide; history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from govmesh.client import grant_application
from govmesh.console.web import PAGE_SIZE, BadInput, page, parse_day, posted
from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb

_STATES = {
    "applied": pb.GRANT_STATE_APPLIED,
    "approved": pb.GRANT_STATE_APPROVED,
    "rejected": pb.GRANT_STATE_REJECTED,
    "revoked": pb.GRANT_STATE_REVOKED,
    "expired": pb.GRANT_STATE_EXPIRED,
}
_DECISIONS = ("approve", "reject", "revoke")


async def grants(request: Request) -> Response:
    """The grants this principal may see, newest first, filtered by state, subject or consumer."""
    current = page(request)
    state = current.query("state")
    if state and state not in _STATES:
        raise BadInput(f"state {state!r} is not one of {', '.join(_STATES)}")
    reply = await current.stubs.authz.ListGrants(
        pb.ListGrantsRequest(
            subject=f"subjects/{current.query('subject')}" if current.query("subject") else "",
            consumer=current.query("consumer"),
            provider=current.query("provider"),
            states=[_STATES[state]] if state else [],
            page_size=PAGE_SIZE,
            page_token=current.query("page_token"),
        )
    )
    return current.render("grants.html", grants=reply, states=list(_STATES), state=state, pb=pb, queue=False)


async def queue(request: Request) -> Response:
    """Applications waiting for this department's decision, as the subjects' provider."""
    current = page(request)
    reply = await current.stubs.authz.ListGrants(
        pb.ListGrantsRequest(
            provider=current.session.code if current.session.kind == "department" else "",
            states=[pb.GRANT_STATE_APPLIED],
            page_size=PAGE_SIZE,
            page_token=current.query("page_token"),
        )
    )
    return current.render("grants.html", grants=reply, states=list(_STATES), state="applied", pb=pb, queue=True)


async def grant(request: Request) -> Response:
    current = page(request)
    reply = await current.stubs.authz.GetGrant(pb.GetGrantRequest(name=f"grants/{request.path_params['number']}"))
    return current.render("grant.html", grant=reply.grant, history=reply.history, pb=pb)


async def new_grant(request: Request) -> Response:
    """The application form; with `?subject=`, the subject's items to choose from, CONDITIONAL ones first."""
    current = page(request)
    code = current.query("subject")
    subject = None
    if code:
        subject = (await current.stubs.catalog.GetSubject(cpb.GetSubjectRequest(name=f"subjects/{code}"))).subject
    default_end = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    consumer = current.session.code if current.session.kind == "department" else ""
    return current.render("grant_new.html", subject=subject, code=code, end=default_end, consumer=consumer, cpb=cpb)


async def apply(request: Request) -> Response:
    current = page(request)
    form = await posted(request, current)
    items = [str(v) for v in form.getlist("item")]
    end = parse_day(str(form.get("end") or ""))
    if end is None:
        raise BadInput("say until when the grant is valid")
    application = grant_application(
        str(form.get("subject") or "").strip(),
        items,
        consumers=_words(form.get("consumers")),
        groups=_words(form.get("groups")),
        purpose=str(form.get("purpose") or "").strip(),
        legal_basis=str(form.get("legal_basis") or "").strip(),
        end=end,
        divisions=_words(form.get("divisions")),
        requested_only=form.get("requested_only") == "on",
    )
    reply = await current.stubs.authz.ApplyGrant(pb.ApplyGrantRequest(grant=application))
    return RedirectResponse(f"/grants/{reply.grant.name.removeprefix('grants/')}", status_code=303)


async def decide(request: Request) -> Response:
    """Approve, reject or revoke, with the reason the applicant and the audit log see."""
    current = page(request)
    form = await posted(request, current)
    verb = request.path_params["verb"]
    if verb not in _DECISIONS:
        raise BadInput(f"{verb!r} is not one of {', '.join(_DECISIONS)}")
    name = f"grants/{request.path_params['number']}"
    reason = str(form.get("reason") or "").strip()
    if verb == "approve":
        await current.stubs.authz.ApproveGrant(pb.ApproveGrantRequest(name=name, reason=reason))
    elif verb == "reject":
        await current.stubs.authz.RejectGrant(pb.RejectGrantRequest(name=name, reason=reason))
    else:
        await current.stubs.authz.RevokeGrant(pb.RevokeGrantRequest(name=name, reason=reason))
    return RedirectResponse(f"/grants/{request.path_params['number']}", status_code=303)


def _words(value: object) -> list[str]:
    """`LTAX, NTAX` or `LTAX NTAX` from a text field as a list."""
    return [w for w in str(value or "").replace(",", " ").split() if w]


routes = [
    Route("/grants", grants),
    Route("/grants/queue", queue),
    Route("/grants/new", new_grant),
    Route("/grants/new", apply, methods=["POST"]),
    Route("/grants/{number:int}", grant),
    Route("/grants/{number:int}/{verb}", decide, methods=["POST"]),
]
