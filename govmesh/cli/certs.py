"""`govmesh certs …`: the hub's certificate authority and the identities it issues."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from govmesh.cli.common import AsJson, console, fitting_table, print_json
from govmesh.runtime.certs import CertificateAuthority, serial_hex
from govmesh.runtime.config import settings
from govmesh.runtime.identity import Principal

certs_app = typer.Typer(help="The hub's certificate authority and the identities it issues.", no_args_is_help=True)


@certs_app.command("init")
def certs_init() -> None:
    """Create the hub's certificate authority and the gateway's server certificate (kept if present)."""
    config = settings()
    authority = CertificateAuthority(config.certs_dir)
    authority.init()
    if not authority.has("gateway"):
        authority.issue_server()
    console.print(f"CA and gateway certificate in {authority.directory}")


@certs_app.command("issue")
def certs_issue(
    identity: Annotated[str, typer.Argument(help="kind/code, e.g. department/AIC, maintainer/ops, auditor/audit")],
    days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
) -> None:
    """Issue a client certificate whose identity is spiffe://govmesh/<kind>/<code>."""
    principal = Principal.parse(identity)
    if principal.is_anonymous:
        raise typer.BadParameter("identity must be kind/code with kind one of department, maintainer, admin, auditor")
    authority = CertificateAuthority(settings().certs_dir)
    if not authority.exists:
        raise typer.BadParameter("no CA yet: run `govmesh certs init` first")
    name = authority.issue_client(principal, days=days)
    console.print(f"{authority.path(name, 'pem')} and {authority.path(name, 'key')}: {principal.spiffe_id()}")


def _authority() -> CertificateAuthority:
    authority = CertificateAuthority(settings().certs_dir)
    if not authority.exists:
        raise typer.BadParameter(f"no CA in {authority.directory}: run `govmesh certs init` first")
    return authority


@certs_app.command("revoke")
def certs_revoke(
    certificate: Annotated[
        str, typer.Argument(help="kind/code (department/AIC), a file name (department-AIC) or a hex serial number")
    ],
) -> None:
    """Revoke a certificate: its serial goes on the CA-signed crl.pem, which the gateway rereads within seconds."""
    authority = _authority()
    try:
        serial = authority.revoke(certificate)
    except (LookupError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    console.print(f"revoked serial {serial_hex(serial)} ({certificate}); revocation list: {authority.crl_path}")


@certs_app.command("list")
def certs_list(
    as_json: AsJson = False,
) -> None:
    """Every certificate the CA directory holds: identity, serial, validity and whether it is revoked."""
    authority = _authority()
    now = dt.datetime.now(dt.UTC)
    if as_json:
        print_json(
            [
                {
                    "name": issued.name,
                    "spiffe_id": issued.spiffe_id,
                    "serial_number": issued.serial_hex,
                    "not_before": issued.not_before.isoformat(),
                    "not_after": issued.not_after.isoformat(),
                    "status": issued.status(now),
                }
                for issued in authority.issued()
            ]
        )
        return
    table = fitting_table(f"certificates in {authority.directory}", "name", "identity", "serial", "not after", "status")
    for issued in authority.issued():
        status = issued.status(now)
        shown = status if status == "valid" else f"[red]{status}[/red]"
        table.add_row(
            issued.name, issued.spiffe_id, issued.serial_hex, issued.not_after.strftime("%Y-%m-%d %H:%M"), shown
        )
    console.print(table)
