"""The exchange.v1 servicer: translates each call to one use case and back, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias

import grpc

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.runtime import wellknown
from govmesh.runtime.errors import FieldViolation, InvalidArgument, ViolationCollector
from govmesh.runtime.identity import current_principal
from govmesh.runtime.paging import PageRequest, page_request, token_for
from govmesh.services.exchange import convert
from govmesh.services.exchange.domain.ledger import EntryKind
from govmesh.services.exchange.domain.requests import WaitMode
from govmesh.services.exchange.persistence.ledger import EntryFilter, StatsFilter
from govmesh.services.exchange.usecases import Answer, Exchange, GatheredRequest, RecordResult

# grpc ships no type hints; the alias keeps signatures readable.
Context: TypeAlias = grpc.aio.ServicerContext

DEFAULT_PAGE = 100
MAX_LEDGER_PAGE = 10_000


def _page(page_size: int, page_token: str, default: int = DEFAULT_PAGE) -> PageRequest:
    return page_request(page_size or default, page_token)


def _full(view: int) -> bool:
    return view != pb.REQUEST_VIEW_BASIC


async def _nothing_to_settle() -> None:
    return None


class ExchangeServicer(exchange_pb2_grpc.ExchangeServiceServicer):
    def __init__(self, exchange: Exchange, settle_denials: Callable[[], Awaitable[None]] = _nothing_to_settle):
        self.exchange = exchange
        self._records = convert.RecordProtos()
        # A caller's refusal is in the audit log before the caller hears of it (see AuthzPolicy).
        self._settle_denials = settle_denials

    # -- publish -----------------------------------------------------------------------------

    async def Publish(self, request: pb.PublishRequest, context: Context) -> pb.PublishResponse:
        records = convert.records_from_proto(request.records)
        outcome = await self.exchange.publishing.publish(
            current_principal.get(), records, validate_only=request.validate_only
        )
        return pb.PublishResponse(
            results=[convert.result_to_proto(r) for r in outcome.results],
            accepted_count=outcome.count("ACCEPTED"),
            duplicate_count=outcome.count("DUPLICATE"),
            invalid_count=outcome.count("INVALID"),
            conflict_count=outcome.count("CONFLICT"),
        )

    async def PublishStream(
        self, request_iterator: AsyncIterator[pb.PublishStreamRequest], context: Context
    ) -> pb.PublishStreamResponse:
        principal = current_principal.get()
        counts = dict.fromkeys(("ACCEPTED", "DUPLICATE", "INVALID", "CONFLICT"), 0)
        # Only counts and the records not accepted are kept, so a bulk load holds no more than that.
        rejected: list[RecordResult] = []
        offset = 0
        async for message in request_iterator:
            records = convert.records_from_proto(message.records)
            outcome = await self.exchange.publishing.publish(principal, records, offset=offset)
            offset += len(records)
            for status in counts:
                counts[status] += outcome.count(status)
            rejected += [r for r in outcome.results if r.status in ("INVALID", "CONFLICT")]
        return pb.PublishStreamResponse(
            accepted_count=counts["ACCEPTED"],
            duplicate_count=counts["DUPLICATE"],
            invalid_count=counts["INVALID"],
            conflict_count=counts["CONFLICT"],
            rejected=[convert.result_to_proto(r) for r in rejected],
        )

    # -- subscriptions -----------------------------------------------------------------------

    async def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: Context
    ) -> pb.CreateSubscriptionResponse:
        draft = convert.subscription_from_proto(request.subscription, request.subscription_id)
        try:
            created = await asyncio.to_thread(
                self.exchange.subscriptions.create_subscription,
                current_principal.get(),
                draft,
                validate_only=request.validate_only,
            )
        finally:
            await self._settle_denials()
        return pb.CreateSubscriptionResponse(subscription=convert.subscription_to_proto(created))

    async def GetSubscription(self, request: pb.GetSubscriptionRequest, context: Context) -> pb.GetSubscriptionResponse:
        found = await asyncio.to_thread(
            self.exchange.subscriptions.get_subscription, current_principal.get(), convert.subscription_id(request.name)
        )
        return pb.GetSubscriptionResponse(subscription=convert.subscription_to_proto(found))

    async def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: Context
    ) -> pb.ListSubscriptionsResponse:
        subject = convert.subject_code(request.subject, "subject") if request.subject else ""
        page = await asyncio.to_thread(
            self.exchange.subscriptions.list_subscriptions,
            current_principal.get(),
            subject=subject,
            subscriber=request.subscriber,
            page=_page(request.page_size, request.page_token),
        )
        return pb.ListSubscriptionsResponse(
            subscriptions=[convert.subscription_to_proto(s) for s in page.items], next_page_token=page.next_page_token
        )

    async def DeleteSubscription(
        self, request: pb.DeleteSubscriptionRequest, context: Context
    ) -> pb.DeleteSubscriptionResponse:
        await self.exchange.subscriptions.delete_subscription(
            current_principal.get(), convert.subscription_id(request.name)
        )
        return pb.DeleteSubscriptionResponse()

    async def Subscribe(self, request: pb.SubscribeRequest, context: Context) -> AsyncIterator[pb.SubscribeResponse]:
        stream = self.exchange.delivery.subscribe(
            current_principal.get(),
            convert.subscription_id(request.subscription, "subscription"),
            request.cursor,
            request.max_in_flight,
            request.max_batch_size,
        )
        async for batch in stream:
            response = convert.subscribe_response(batch.deliveries, self._records)
            if batch.lag is not None:
                response.lag.CopyFrom(convert.lag_to_proto(batch.lag))
            yield response

    async def AcknowledgeDeliveries(
        self, request: pb.AcknowledgeDeliveriesRequest, context: Context
    ) -> pb.AcknowledgeDeliveriesResponse:
        result = await self.exchange.delivery.acknowledge(
            current_principal.get(),
            convert.subscription_id(request.subscription, "subscription"),
            list(request.delivery_ids),
            convert.nacks_from_proto(request.nacks),
        )
        return pb.AcknowledgeDeliveriesResponse(
            acknowledged_count=result.acknowledged,
            already_acknowledged_count=result.already_acknowledged,
            nacked_count=result.nacked,
        )

    async def ListDeadLetters(self, request: pb.ListDeadLettersRequest, context: Context) -> pb.ListDeadLettersResponse:
        page = await asyncio.to_thread(
            self.exchange.delivery.list_dead_letters,
            current_principal.get(),
            convert.subscription_id(request.parent, "parent"),
            _page(request.page_size, request.page_token),
        )
        return pb.ListDeadLettersResponse(
            dead_letters=[convert.dead_letter_to_proto(d) for d in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def ReplayDeadLetters(
        self, request: pb.ReplayDeadLettersRequest, context: Context
    ) -> pb.ReplayDeadLettersResponse:
        replayed = await self.exchange.delivery.replay_dead_letters(
            current_principal.get(), convert.subscription_id(request.parent, "parent"), list(request.names), request.all
        )
        return pb.ReplayDeadLettersResponse(replayed_count=replayed)

    # -- requests ----------------------------------------------------------------------------

    async def SendRequest(self, request: pb.SendRequestRequest, context: Context) -> pb.SendRequestResponse:
        found = ViolationCollector()
        wait_mode = convert.WAIT.optional(request.wait_mode, "wait_mode", found) or WaitMode.WAIT
        found.raise_if_any()
        try:
            gathered = await self.exchange.requests.send_request(
                current_principal.get(),
                convert.draft_from_proto(request),
                wait_mode=wait_mode,
                max_wait=wellknown.span(request.max_wait, "max_wait") if request.HasField("max_wait") else None,
                time_remaining=context.time_remaining() if wait_mode is WaitMode.WAIT else None,
                full_view=_full(request.view),
            )
        finally:
            await self._settle_denials()
        return pb.SendRequestResponse(request=convert.data_request_to_proto(gathered))

    async def StreamInbox(
        self, request: pb.StreamInboxRequest, context: Context
    ) -> AsyncIterator[pb.StreamInboxResponse]:
        stream = self.exchange.replies.stream_inbox(
            current_principal.get(), convert.subject_codes(request.subjects, "subjects"), request.max_in_flight
        )
        async for incoming in stream:
            yield pb.StreamInboxResponse(requests=[convert.incoming_to_proto(i) for i in incoming])

    async def Reply(self, request: pb.ReplyRequest, context: Context) -> pb.ReplyResponse:
        answer = Answer(
            convert.records_from_proto(request.records),
            not_found=list(request.not_found_entity_keys),
            partial=request.partial,
            failed=request.failed,
            message=request.message,
            idempotency_key=request.idempotency_key,
        )
        outcome = await self.exchange.replies.reply(
            current_principal.get(), convert.request_id(request.request, "request"), answer
        )
        return pb.ReplyResponse(
            accepted_count=outcome.accepted,
            rejected=[convert.result_to_proto(r) for r in outcome.rejected],
            withheld_count=outcome.withheld,
        )

    async def GetRequest(self, request: pb.GetRequestRequest, context: Context) -> pb.GetRequestResponse:
        gathered = await asyncio.to_thread(
            self.exchange.requests.get_request,
            current_principal.get(),
            convert.request_id(request.name),
            full_view=_full(request.view),
        )
        return pb.GetRequestResponse(request=convert.data_request_to_proto(gathered))

    async def ListRequests(self, request: pb.ListRequestsRequest, context: Context) -> pb.ListRequestsResponse:
        page = await asyncio.to_thread(
            self.exchange.requests.list_requests,
            current_principal.get(),
            incomplete_only=request.incomplete_only,
            start_time=convert.optional_moment(request, "start_time"),
            page=_page(request.page_size, request.page_token),
        )
        return pb.ListRequestsResponse(
            requests=[convert.data_request_to_proto(GatheredRequest(r, (), True)) for r in page.items],
            next_page_token=page.next_page_token,
        )

    async def ListReplies(self, request: pb.ListRepliesRequest, context: Context) -> pb.ListRepliesResponse:
        page = await asyncio.to_thread(
            self.exchange.replies.list_replies,
            current_principal.get(),
            convert.request_id(request.parent, "parent"),
            target=request.target,
            page=_page(request.page_size, request.page_token, default=10),
        )
        return pb.ListRepliesResponse(
            replies=[convert.reply_to_proto(c) for c in page.items], next_page_token=page.next_page_token
        )

    async def WatchReplies(
        self, request: pb.WatchRepliesRequest, context: Context
    ) -> AsyncIterator[pb.WatchRepliesResponse]:
        if request.after_sequence < 0:
            raise InvalidArgument("bad after_sequence", [FieldViolation("after_sequence", "must not be negative")])
        stream = self.exchange.replies.watch_replies(
            current_principal.get(), convert.request_id(request.name), request.after_sequence
        )
        async for watched in stream:
            yield pb.WatchRepliesResponse(
                replies=[convert.reply_to_proto(c) for c in watched.replies],
                statuses=[convert.status_to_proto(t) for t in watched.statuses],
                complete=watched.complete,
            )

    # -- reference directory -----------------------------------------------------------------

    async def LocateEntity(self, request: pb.LocateEntityRequest, context: Context) -> pb.LocateEntityResponse:
        holdings = await asyncio.to_thread(
            self.exchange.directory.locate_entity,
            current_principal.get(),
            request.entity_key,
            convert.subject_codes(request.subjects, "subjects"),
        )
        return pb.LocateEntityResponse(holdings=[convert.holding_to_proto(h) for h in holdings])

    async def RegisterHoldings(
        self, request: pb.RegisterHoldingsRequest, context: Context
    ) -> pb.RegisterHoldingsResponse:
        count = await asyncio.to_thread(
            self.exchange.directory.register_holdings,
            current_principal.get(),
            convert.subject_code(request.subject, "subject"),
            list(request.entity_keys),
        )
        return pb.RegisterHoldingsResponse(registered_count=count)

    async def UnregisterHoldings(
        self, request: pb.UnregisterHoldingsRequest, context: Context
    ) -> pb.UnregisterHoldingsResponse:
        count = await asyncio.to_thread(
            self.exchange.directory.unregister_holdings,
            current_principal.get(),
            convert.subject_code(request.subject, "subject"),
            list(request.entity_keys),
        )
        return pb.UnregisterHoldingsResponse(unregistered_count=count)

    # -- ledger ------------------------------------------------------------------------------

    async def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: Context
    ) -> pb.ListLedgerEntriesResponse:
        found = ViolationCollector()
        kinds = []
        for n, kind in enumerate(request.kinds):
            name = pb.LedgerEntryKind.Name(kind) if kind in pb.LedgerEntryKind.values() else ""
            if not name or kind == 0:
                found.add(f"kinds[{n}]", "must be a LEDGER_ENTRY_KIND other than UNSPECIFIED")
            else:
                kinds.append(EntryKind[name.removeprefix("LEDGER_ENTRY_KIND_")])
        if request.page_size < 0 or request.start_sequence < 0:
            found.add("page_size", "page size and start sequence must not be negative")
        found.raise_if_any()
        start = max(request.start_sequence, 1)
        if request.page_token:
            start = max(start, page_request(0, request.page_token).offset)
        size = min(request.page_size or DEFAULT_PAGE, MAX_LEDGER_PAGE)
        where = EntryFilter(
            department=request.department,
            subject=request.subject,
            kinds=tuple(kinds),
            trace_id=request.trace_id,
            start_time=convert.optional_moment(request, "start_time"),
            end_time=convert.optional_moment(request, "end_time"),
            start_sequence=start,
        )
        entries = await asyncio.to_thread(
            self.exchange.ledger.list_ledger_entries, current_principal.get(), where, size + 1
        )
        return pb.ListLedgerEntriesResponse(
            entries=[convert.ledger_entry_to_proto(e) for e in entries[:size]],
            next_page_token=token_for(entries[size].sequence) if len(entries) > size else "",
        )

    async def VerifyLedger(self, request: pb.VerifyLedgerRequest, context: Context) -> pb.VerifyLedgerResponse:
        verification = await asyncio.to_thread(
            self.exchange.ledger.verify_ledger,
            current_principal.get(),
            start_sequence=request.start_sequence,
            end_sequence=request.end_sequence,
            expected_previous_hash=request.expected_previous_hash,
            anchors={a.sequence: a.entry_hash for a in request.anchors},
        )
        return convert.verification_result_to_proto(verification)

    async def GetLedgerStats(self, request: pb.GetLedgerStatsRequest, context: Context) -> pb.GetLedgerStatsResponse:
        found = ViolationCollector()
        dimensions = [convert.DIMENSION.to_domain(d, f"group_by[{n}]", found) for n, d in enumerate(request.group_by)]
        found.raise_if_any()
        chosen = _page(request.page_size, request.page_token, default=1000)
        where = StatsFilter(
            department=request.department,
            subject=request.subject,
            start_time=convert.optional_moment(request, "start_time"),
            end_time=convert.optional_moment(request, "end_time"),
        )
        page = await asyncio.to_thread(
            self.exchange.ledger.ledger_stats, current_principal.get(), dimensions, where, chosen
        )
        return pb.GetLedgerStatsResponse(
            rows=[convert.stats_row_to_proto(r) for r in page.rows.items],
            total=convert.stats_row_to_proto(page.total),
            next_page_token=page.rows.next_page_token,
        )
