"""What every `govmesh` subcommand shares: the console, the gateway stub, actionable errors, JSON and tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import grpc

# grpc, the contracts and the settings are imported where a call is made, not here: `govmesh --help`
# and every command that makes no call stay quick.

# Piped output is read by scripts, grep and files: it keeps whole lines rather than a terminal's
# 80 columns. Soft wrap keeps `file:line: message` lines whole too.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)

Target = Annotated[str, typer.Option("--target", help="Gateway address (default: the configured gateway).")]
Identity = Annotated[str, typer.Option("--as", help="Whose certificate to call with, kind/code.")]
Insecure = Annotated[
    bool, typer.Option("--insecure", help="Plaintext, for a gateway run with GOVMESH_GATEWAY_TLS=false.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

Stub = TypeVar("Stub")


@contextmanager
def gateway_stub(
    make_stub: Callable[[grpc.Channel], Stub], target: str, identity: str, insecure: bool
) -> Iterator[Stub]:
    """A stub on a channel to the configured gateway as `identity`; a failed call prints its status and details.

    The certificates come from the configured data directory (GOVMESH_DATA_DIR), wherever the
    command is run from; a missing one is one line saying what to do, not a traceback.
    """
    import grpc

    from govmesh.client import MissingCertificate, connect_blocking
    from govmesh.runtime.config import settings

    config = settings()
    address = target or f"{config.gateway_host}:{config.gateway_port}"
    try:
        channel = connect_blocking(address, identity=identity, certs_dir=config.certs_dir, insecure=insecure)
    except (MissingCertificate, ValueError) as error:
        console.print(f"[red]error[/red]: {escape(str(error))}")
        raise typer.Exit(2) from None
    try:
        yield make_stub(channel)
    except grpc.RpcError as error:
        console.print(f"[red]{error.code().name}[/red]: {escape(error.details() or '')}")
        for line in detail_lines(error):
            console.print(f"  {escape(line)}")
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            console.print(f"  is the mesh running at {address}? (`govmesh up`, or --target)")
        raise typer.Exit(1) from None
    finally:
        channel.close()


def detail_lines(error: grpc.RpcError) -> list[str]:
    """The rich details of a failed call as lines: field violations, refused preconditions, the reason code."""
    from govmesh.client import error_details

    reason, lines = error_details(error)
    return [*lines, f"reason: {reason}"] if reason and reason != error.code().name else lines


def label(enum_type: Any, number: int) -> str:
    """`SHARING_TYPE_NOT_SHARED` → `not_shared`; the unspecified value → an empty string."""
    from govmesh.client import enum_label

    return enum_label(enum_type, number)


def print_json(document: Any) -> None:
    """One JSON document on stdout, Chinese kept readable."""
    typer.echo(json.dumps(document, ensure_ascii=False, default=str))


def fitting_table(title: str | None, *columns: str, key_columns: int = 1) -> Table:
    """A table that never cuts a value: the first `key_columns` columns stay whole, the others fold.

    At 80 columns rich would otherwise shorten the widest cells with an ellipsis, and that is
    usually the one a person is looking for.
    """
    shown = Table(title=title)
    for index, column in enumerate(columns):
        justify = "right" if column in {"count", "revision", "len"} else "left"
        shown.add_column(column, no_wrap=index < key_columns, overflow="fold", justify=justify)  # type: ignore[arg-type]
    return shown
