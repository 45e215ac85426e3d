"""`govmesh taxtotal`, `govmesh district` and `govmesh apps setup`: the smaller applications' commands."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Annotated, Any

import grpc
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govmesh.apps.district.usecases import SUBJECTS, ensure_feed, subscription_id
from govmesh.apps.mesh import Stub, values_of
from govmesh.apps.setup import ensure_all
from govmesh.apps.taxtotal.usecases import BUREAUS, DEFAULT_WAIT_SECONDS, tax_totals
from govmesh.cli.common import AsJson, Insecure, Target, print_json
from govmesh.client import Stubs, connect
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime.config import settings

console = Console(soft_wrap=True)
taxtotal_app = typer.Typer(help="Annual tax totals of enterprises from local and national tax (赴港澳商务通行证).")
district_app = typer.Typer(help="District return: a district's own enterprises' data, loaded then kept current.")
apps_app = typer.Typer(help="The applications' shipped grants and catalog changes.", no_args_is_help=True)
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def _target(target: str) -> str:
    config = settings()
    return target or f"{config.gateway_host}:{config.gateway_port}"


def _fail(error: grpc.RpcError) -> typer.Exit:
    console.print(f"[red]{error.code().name}[/red]: {escape(error.details() or '')}")
    return typer.Exit(2)


@taxtotal_app.callback(invoke_without_command=True)
def taxtotal(
    file: Annotated[Path, typer.Option("--file", help="Credit codes, one a line (a CSV's first column).")],
    year: Annotated[int, typer.Option(help="The tax year.")],
    purpose: Annotated[str, typer.Option(help="The case, e.g. the permit application number.")] = "赴港澳商务通行证",
    identity: Annotated[str, typer.Option("--as", help="Whose certificate.")] = "department/PSB",
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for the bureaus' answers; a bureau silent that long is marked NO_ANSWER "
            f"(default {DEFAULT_WAIT_SECONDS:g}).",
            min=0.1,
            max=3600.0,
        ),
    ] = DEFAULT_WAIT_SECONDS,
    target: Target = "",
    insecure: Insecure = False,
    as_json: AsJson = False,
) -> None:
    """One line per enterprise: each bureau's total and status; `partial` when a bureau did not answer it."""
    codes = [line.split(",")[0].strip().upper() for line in file.read_text(encoding="utf-8-sig").splitlines()]
    codes = [c for c in codes if c and c != "CREDIT_CODE"]
    bad = [c for c in codes if not _CREDIT_CODE.fullmatch(c)]
    if bad:
        raise typer.BadParameter(f"not credit codes: {', '.join(bad[:5])}")

    async def run() -> list[Any]:
        channel = connect(_target(target), identity=identity, certs_dir=settings().certs_dir, insecure=insecure)
        try:
            return await tax_totals(Stub(channel), codes, year, purpose=purpose, wait=wait)
        finally:
            await channel.close()

    try:
        lines = asyncio.run(run())
    except grpc.RpcError as error:
        raise _fail(error) from None
    if as_json:
        for line in lines:
            print(json.dumps(line.as_dict(), ensure_ascii=False))
        return
    table = Table(
        title=f"annual tax totals {year}: {sum(not line.partial for line in lines):,} of {len(lines):,} complete"
    )
    table.add_column("credit code")
    for bureau in BUREAUS:
        table.add_column(bureau, justify="right")
    table.add_column("partial")
    for line in lines:
        cells = [line.total.get(b) or f"[yellow]{line.status[b]}[/yellow]" for b in BUREAUS]
        table.add_row(line.credit_code, *cells, "yes" if line.partial else "")
    console.print(table)


@district_app.callback()
def district() -> None:
    """District return: a district's own enterprises' data, loaded then kept current."""


@district_app.command("sync")
def district_sync(
    division: Annotated[str, typer.Option(help="The district's GB/T 2260 code, e.g. 440106.")],
    out: Annotated[Path, typer.Option(help="Append each record received as a JSON line to this file.")],
    follow: Annotated[
        bool, typer.Option(help="Keep receiving changes until Ctrl-C; else stop when caught up.")
    ] = False,
    identity: Annotated[str, typer.Option("--as", help="The district's certificate.")] = "department/TIANHE",
    target: Target = "",
    insecure: Insecure = False,
    as_json: AsJson = False,
) -> None:
    """The district's initial load of its own enterprises, then changes; each acknowledged once written."""

    async def run() -> int:
        channel = connect(_target(target), identity=identity, certs_dir=settings().certs_dir, insecure=insecure)
        stub = Stub(channel)
        written = 0
        try:
            await ensure_feed(stub, division)
            for subject in SUBJECTS:
                written += await _drain(stub, subscription_id(subject), out, follow=follow)
        finally:
            await channel.close()
        return written

    try:
        written = asyncio.run(run())
    except grpc.RpcError as error:
        raise _fail(error) from None
    if as_json:
        print_json({"division": division, "records": written, "out": str(out)})
    else:
        console.print(f"{written:,} records written to {out}")


async def _drain(stub: Stub, subscription: str, out: Path, *, follow: bool) -> int:
    name = f"subscriptions/{subscription}"
    written = 0
    call = stub.Subscribe(pb.SubscribeRequest(subscription=name, max_batch_size=500))
    try:
        with out.open("a", encoding="utf-8") as sink:
            async for response in call:
                if not response.deliveries:
                    if follow:
                        continue
                    break  # a heartbeat: caught up
                for delivery in response.deliveries:
                    record = delivery.record
                    line = {"subject": record.subject, "entity_key": record.entity_key, "record_id": record.record_id}
                    line["values"] = {k: str(v) for k, v in values_of(record).items()}
                    sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                sink.flush()
                written += len(response.deliveries)
                ids = [d.delivery_id for d in response.deliveries]
                await stub.AcknowledgeDeliveries(pb.AcknowledgeDeliveriesRequest(subscription=name, delivery_ids=ids))
    finally:
        call.cancel()
    return written


@apps_app.command("setup")
def apps_setup(target: Target = "", as_json: AsJson = False) -> None:
    """On a development hub: every application's shipped grants and catalog changes (`govmesh up` does this)."""

    async def run() -> list[str]:
        channels: dict[str, Any] = {}

        def stub_of(identity: str) -> Stubs:
            if identity not in channels:
                channels[identity] = connect(_target(target), identity=identity, certs_dir=settings().certs_dir)
            return Stubs(channels[identity])

        try:
            return await ensure_all(stub_of)
        finally:
            for channel in channels.values():
                await channel.close()

    changes = asyncio.run(run())
    if as_json:
        print(json.dumps({"applied": changes}))
        return
    console.print(f"{len(changes)} grants and catalog changes applied" + (f": {', '.join(changes)}" if changes else ""))
