"""`govmesh certs …`: the hub's CA and the identities it issues: known principals, CSRs, renewal, CA rotation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from govmesh.cli.common import AsJson, console, fitting_table, print_json
from govmesh.runtime import issuance
from govmesh.runtime.certs import SERVICE_CODES, CertificateAuthority, serial_hex
from govmesh.runtime.config import settings
from govmesh.runtime.identity import Principal

certs_app = typer.Typer(help="The hub's certificate authority and the identities it issues.", no_args_is_help=True)


@certs_app.command("init")
def certs_init(
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="A DNS name or IP address departments reach the gateway by (repeatable)."),
    ] = None,
) -> None:
    """Create the hub's CA, the gateway's and each service's certificate (kept if present; see --host)."""
    config = settings()
    authority = CertificateAuthority(config.certs_dir)
    authority.init()
    issuance.ensure_gateway(authority, host or [])
    for code in SERVICE_CODES:
        if not authority.has(f"service-{code}"):
            authority.issue_service(code)
    hosts = ", ".join(issuance.gateway_hosts(authority))
    console.print(f"CA, gateway and service certificates in {authority.directory}; the gateway's names: {hosts}")


@certs_app.command("issue")
def certs_issue(
    identity: Annotated[
        str, typer.Argument(help="kind/code, e.g. department/AIC, maintainer/ops, auditor/audit, service/catalog")
    ],
    days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
    host: Annotated[
        list[str] | None, typer.Option(help="For service/<code>: another host name or address it is reached at.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="For service/<code>: write it, with ca.pem and crl.pem, to this directory (a replica's)."),
    ] = None,
) -> None:
    """Issue a certificate whose identity is spiffe://govmesh/<kind>/<code> (a service's also serves its port)."""
    principal = known_principal(identity)
    authority = CertificateAuthority(settings().certs_dir)
    if not authority.exists:
        raise typer.BadParameter("no CA yet: run `govmesh certs init` first")
    file_name = f"{principal.kind}-{principal.code}"
    replica_dir = out if principal.kind == "service" else None
    held = replica_dir / f"{file_name}.pem" if replica_dir is not None else authority.path(file_name, "pem")
    if held.exists():
        if replica_dir is not None:
            raise typer.BadParameter(f"{held} exists; choose another --out directory for this replica")
        raise typer.BadParameter(
            f"{identity} has a certificate already; `govmesh certs renew {identity}` replaces it deliberately"
        )
    if principal.kind == "service":
        name = authority.issue_service(principal.code, tuple(host or ()), days=days, out=out)
    else:
        name = authority.issue_client(principal, days=days)
    directory = replica_dir if replica_dir is not None else authority.directory
    console.print(f"{directory / (name + '.pem')} and {directory / (name + '.key')}: {principal.spiffe_id()}")


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
    """Revoke a certificate: its serial goes on the CA-signed crl.pem, which every process rereads within seconds."""
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


Days = Annotated[int, typer.Option(help="Validity in days.")]
RevokeOld = Annotated[
    bool,
    typer.Option(
        "--revoke-old",
        help="Revoke the certificate being replaced at once; without it the old one stays valid until it expires "
        "(an overlap, so its holder can switch over) and its file moves to retired/.",
    ),
]


def department_codes() -> frozenset[str]:
    """The departments the shipped catalog registers: the only ones the hub issues certificates to."""
    from govmesh.kernel.catalog.files import read_departments
    from govmesh.services.catalog.shipped import SEED_DIR

    departments, _ = read_departments(SEED_DIR / "departments.yaml")
    return frozenset(d.code for d in departments)


def known_principal(identity: str) -> Principal:
    """`kind/code` parsed and checked against the catalog; a clear error for anything the hub does not know."""
    principal = Principal.parse(identity)
    try:
        issuance.check_known(principal, department_codes())
    except issuance.IssuanceRefused as error:
        raise typer.BadParameter(str(error)) from None
    return principal


def _report(renewal: issuance.Renewal, as_json: bool, where: str) -> None:
    if as_json:
        print_json({**renewal.as_dict(), "file": where})
        return
    console.print(f"{where}: serial {serial_hex(renewal.serial)}")
    if renewal.previous_serial is not None:
        state = "revoked" if renewal.previous_revoked else "still valid until it expires (retired/)"
        console.print(f"previous certificate {serial_hex(renewal.previous_serial)}: {state}")


@certs_app.command("sign")
def sign(
    csr: Annotated[Path, typer.Argument(help="The department's certificate signing request (PEM).")],
    identity: Annotated[str, typer.Option("--as", help="The identity to certify, kind/code; the CSR must name it.")],
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the certificate (default: stdout).")] = None,
    days: Days = 365,
    revoke_old: RevokeOld = False,
    as_json: AsJson = False,
) -> None:
    """Sign a CSR: the department keeps its private key; the hub checks the identity and keeps the certificate."""
    principal = known_principal(identity)
    if not csr.is_file():
        raise typer.BadParameter(f"no file {csr}")
    try:
        renewal, pem = issuance.sign_request(
            _authority(), csr.read_bytes(), principal, days=days, revoke_old=revoke_old
        )
    except issuance.IssuanceRefused as error:
        raise typer.BadParameter(str(error)) from None
    if out is None:
        print(pem.decode(), end="")
        return
    out.write_bytes(pem)
    _report(renewal, as_json, str(out))


@certs_app.command("renew")
def renew(
    identity: Annotated[str, typer.Argument(help="kind/code of a certificate the hub holds the key of, or `gateway`.")],
    days: Days = 365,
    revoke_old: RevokeOld = False,
    as_json: AsJson = False,
) -> None:
    """A new key and certificate for a hub-held identity, signed by the current CA (after a rotation, too)."""
    ca = _authority()
    if identity == "gateway":
        renewal = issuance.renew_gateway(ca, days=days, revoke_old=revoke_old)
    else:
        principal = known_principal(identity)
        if not ca.path(f"{principal.kind}-{principal.code}", "key").exists():
            raise typer.BadParameter(f"the hub holds no key for {identity}; its holder sends a new CSR (`certs sign`)")
        renewal = issuance.renew_client(ca, principal, days=days, revoke_old=revoke_old)
    _report(renewal, as_json, str(ca.path(renewal.name, "pem")))


@certs_app.command("rotate-ca")
def rotate_ca(
    finish: Annotated[bool, typer.Option("--finish", help="End the overlap: stop trusting the previous CA.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --finish: even while certificates of the previous CA remain.")
    ] = False,
    days: Days = 3650,
    as_json: AsJson = False,
) -> None:
    """Rotate the CA: a new CA signs from now on while ca.pem trusts both; `--finish` drops the previous one."""
    ca = _authority()
    try:
        if finish:
            dropped = issuance.finish_ca_rotation(ca, force=force)
            result: dict[str, object] = {"state": "finished", "no_longer_trusted": dropped}
        else:
            cert = issuance.begin_ca_rotation(ca, days=days)
            result = {
                "state": "overlap",
                "new_ca": cert.subject.rfc4514_string(),
                "serial_number": serial_hex(cert.serial_number),
                "to_renew": issuance.signed_by_previous_ca(ca),
            }
    except issuance.IssuanceRefused as error:
        raise typer.BadParameter(str(error)) from None
    if as_json:
        print_json(result)
    elif finish:
        console.print(f"rotation finished: {ca.path('ca', 'pem')} trusts only the current CA")
    else:
        console.print(f"new CA {result['new_ca']} signs from now on; {ca.path('ca', 'pem')} trusts both CAs.")
        console.print(
            f"Hand the new ca.pem to every department, renew the {len(result['to_renew'])} certificates "  # type: ignore[arg-type]
            "the previous CA signed (`certs renew`, `certs sign`), then `certs rotate-ca --finish`."
        )
