"""Exchange pages: subscriptions and their lag, receiving deliveries, dead letters and replay, requests and replies."""

from __future__ import annotations

import asyncio
import contextlib
import time

from google.protobuf import json_format
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from govmesh.console.web import PAGE_SIZE, BadInput, Page, page, posted
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

# How long "receive" waits for deliveries: long enough for a record just published, short for a page.
RECEIVE_WAIT_SECONDS = 3.0


async def subscriptions(request: Request) -> Response:
    current = page(request)
    mine = current.session.code if current.session.kind == "department" else ""
    reply = await current.stubs.exchange.ListSubscriptions(
        pb.ListSubscriptionsRequest(
            subscriber=current.query("subscriber", mine),
            subject=_subject_name(current.query("subject")),
            page_size=PAGE_SIZE,
            page_token=current.query("page_token"),
        )
    )
    return current.render("subscriptions.html", subscriptions=reply, pb=pb)


async def create_subscription(request: Request) -> Response:
    current = page(request)
    form = await posted(request, current)
    subject = _subject_name(str(form.get("subject") or "").strip())
    if not subject:
        raise BadInput("name the subject to subscribe to, e.g. 102.001")
    items = [w for w in str(form.get("items") or "").replace(",", " ").split() if w]
    subscription = pb.Subscription(subject=subject, items=items, description=str(form.get("description") or ""))
    reply = await current.stubs.exchange.CreateSubscription(pb.CreateSubscriptionRequest(subscription=subscription))
    return RedirectResponse(f"/exchange/{reply.subscription.name}", status_code=303)


async def subscription(request: Request) -> Response:
    current = page(request)
    return await _subscription_page(current, request.path_params["id"], received=None)


async def _subscription_page(current: Page, sub_id: str, received: list[pb.Delivery] | None) -> Response:
    name = f"subscriptions/{sub_id}"
    found = (await current.stubs.exchange.GetSubscription(pb.GetSubscriptionRequest(name=name))).subscription
    letters = await current.stubs.exchange.ListDeadLetters(
        pb.ListDeadLettersRequest(parent=name, page_size=PAGE_SIZE, page_token=current.query("page_token"))
    )
    return current.render(
        "subscription.html",
        subscription=found,
        letters=letters,
        received=received,
        values=_values,
        pb=pb,
        apb=apb,
    )


async def receive(request: Request) -> Response:
    """Takes what is waiting (up to one batch), acknowledges it, and shows the records as delivered.

    For a person checking that data arrives; a department's backend receives with `Subscribe` itself.
    """
    current = page(request)
    await posted(request, current)
    sub_id = request.path_params["id"]
    name = f"subscriptions/{sub_id}"
    call = current.stubs.exchange.Subscribe(pb.SubscribeRequest(subscription=name, max_batch_size=PAGE_SIZE))
    received: list[pb.Delivery] = []
    deadline = time.monotonic() + RECEIVE_WAIT_SECONDS
    try:
        while not received and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                response = await asyncio.wait_for(call.read(), timeout=max(0.05, deadline - time.monotonic()))
                if not isinstance(response, pb.SubscribeResponse):  # the stream ended
                    break
                received.extend(response.deliveries)
    finally:
        call.cancel()
    if received:
        await current.stubs.exchange.AcknowledgeDeliveries(
            pb.AcknowledgeDeliveriesRequest(subscription=name, delivery_ids=[d.delivery_id for d in received])
        )
    return await _subscription_page(current, sub_id, received=received)


async def replay(request: Request) -> Response:
    current = page(request)
    form = await posted(request, current)
    name = f"subscriptions/{request.path_params['id']}"
    names = [str(v) for v in form.getlist("letter")]
    await current.stubs.exchange.ReplayDeadLetters(pb.ReplayDeadLettersRequest(parent=name, names=names, all=not names))
    return RedirectResponse(f"/exchange/{name}", status_code=303)


async def requests(request: Request) -> Response:
    current = page(request)
    reply = await current.stubs.exchange.ListRequests(
        pb.ListRequestsRequest(
            incomplete_only=current.query("incomplete") == "on",
            page_size=PAGE_SIZE,
            page_token=current.query("page_token"),
        )
    )
    return current.render("requests.html", requests=reply, pb=pb)


async def data_request(request: Request) -> Response:
    current = page(request)
    reply = await current.stubs.exchange.GetRequest(
        pb.GetRequestRequest(name=f"requests/{request.path_params['id']}", view=pb.REQUEST_VIEW_FULL)
    )
    return current.render("request.html", found=reply.request, values=_values, pb=pb)


def _subject_name(code: str) -> str:
    if not code:
        return ""
    return code if code.startswith("subjects/") else f"subjects/{code}"


def _values(record: pb.Record) -> list[tuple[str, str]]:
    """A record's values as (item code, shown value), in item order."""
    shown = []
    for code in sorted(record.values):
        value = json_format.MessageToDict(record.values[code])
        shown.append((code, ", ".join(str(v) for v in value.values())))
    return shown


routes = [
    Route("/exchange/subscriptions", subscriptions),
    Route("/exchange/subscriptions", create_subscription, methods=["POST"]),
    Route("/exchange/subscriptions/{id}", subscription),
    Route("/exchange/subscriptions/{id}/receive", receive, methods=["POST"]),
    Route("/exchange/subscriptions/{id}/replay", replay, methods=["POST"]),
    Route("/exchange/requests", requests),
    Route("/exchange/requests/{id}", data_request),
]
