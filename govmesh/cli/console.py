"""`govmesh console login`: a one-time link that signs a browser in to the web console as a principal of the hub."""

from __future__ import annotations

from typing import Annotated

import typer

from govmesh.cli.common import AsJson, print_json
from govmesh.console.identity import LoginRefused, parse_principal
from govmesh.console.main import console_config, login_link
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import settings

app = typer.Typer(help="The web console (http://127.0.0.1:8080 under `govmesh up`).", no_args_is_help=True)


@app.callback()
def console() -> None:
    """The web console (http://127.0.0.1:8080 under `govmesh up`)."""
    # A callback keeps `console` a group (`govmesh console login`), even with one subcommand.


@app.command()
def login(
    identity: Annotated[str, typer.Option("--as", help="Whom the browser acts as, kind/code (department/AIC).")],
    as_json: AsJson = False,
) -> None:
    """Print a link, good once and for a few minutes, that signs a browser in as IDENTITY.

    The console then calls the gateway with IDENTITY's certificate from the hub's certs directory,
    so the person can do exactly what that principal may do, and nothing more.
    """
    config = settings()
    try:
        principal = parse_principal(identity)
    except LoginRefused as refused:
        raise typer.BadParameter(str(refused), param_hint="--as") from None
    name = f"{principal.kind}-{principal.code}"
    if not CertificateAuthority(config.certs_dir).has(name):
        raise typer.BadParameter(
            f"no certificate for {principal} in {config.certs_dir}: `govmesh certs issue {principal}` first",
            param_hint="--as",
        )
    link = login_link(console_config(config), str(principal))
    minutes = config.console_login_minutes
    if as_json:
        print_json({"url": link, "principal": str(principal), "expires_in_seconds": minutes * 60})
        return
    typer.echo(f"Open this link within {minutes} minutes to sign in as {principal} (it works once):")
    typer.echo(link)
