"""A running catalog (and authz, when asked) and gateway on loopback port 0, and channels to the gateway as anyone."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.contracts.masters.v1 import masters_pb2_grpc
from govmesh.runtime.certs import CertificateAuthority, service_host_name
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.runtime.server import MeshServer
from govmesh.services.authz import main as authz_main
from govmesh.services.catalog import main as catalog_main
from govmesh.services.exchange import main as exchange_main
from govmesh.services.exchange.usecases import Exchange
from govmesh.services.gateway import main as gateway_main
from govmesh.services.masters import main as masters_main
from tests.integration.ports import free_port


@dataclass
class Mesh:
    """A running catalog (and authz) and gateway, and ways to call them as any principal."""

    settings: Settings
    catalog: MeshServer
    gateway: MeshServer
    catalog_address: str
    gateway_address: str
    channels: list[grpc.aio.Channel]
    authz: MeshServer | None = None
    authz_address: str = ""
    exchange: MeshServer | None = None
    exchange_address: str = ""
    # The exchange's application service, for tests that look behind the contract (e.g. the ledger chain).
    exchange_app: Exchange | None = None
    masters: MeshServer | None = None
    masters_address: str = ""

    def channel(self, identity: str = "department/AIC") -> grpc.aio.Channel:
        authority = CertificateAuthority(self.settings.certs_dir)
        pair = authority.key_pair(identity.replace("/", "-"))
        creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
        channel = grpc.aio.secure_channel(self.gateway_address, creds)
        self.channels.append(channel)
        return channel

    def internal_channel(self, address: str, service: str, identity: str | None = None) -> grpc.aio.Channel:
        """Straight to a service's internal port over mutual TLS, with `identity`'s certificate (none: plaintext)."""
        if identity is None:
            channel = grpc.aio.insecure_channel(address)
        else:
            authority = CertificateAuthority(self.settings.certs_dir)
            pair = authority.key_pair(identity.replace("/", "-"))
            creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
            channel = grpc.aio.secure_channel(
                address, creds, options=[("grpc.ssl_target_name_override", service_host_name(service))]
            )
        self.channels.append(channel)
        return channel

    def catalog_stub(self, identity: str = "department/AIC") -> catalog_pb2_grpc.CatalogServiceStub:
        return catalog_pb2_grpc.CatalogServiceStub(self.channel(identity))

    def authz_stub(self, identity: str = "department/AIC") -> authz_pb2_grpc.AuthzServiceStub:
        return authz_pb2_grpc.AuthzServiceStub(self.channel(identity))

    def exchange_stub(self, identity: str = "department/AIC") -> exchange_pb2_grpc.ExchangeServiceStub:
        return exchange_pb2_grpc.ExchangeServiceStub(self.channel(identity))

    def masters_stub(self, identity: str = "department/AIC") -> masters_pb2_grpc.MastersServiceStub:
        return masters_pb2_grpc.MastersServiceStub(self.channel(identity))

    async def stop(self) -> None:
        for channel in self.channels:
            await channel.close()
        await self.gateway.stop(0.5)
        if self.masters is not None:
            await self.masters.stop(0.5)
        if self.exchange is not None:
            await self.exchange.stop(0.5)
        if self.authz is not None:
            await self.authz.stop(0.5)
        await self.catalog.stop(0.5)


async def start_mesh(
    settings: Settings,
    database_url: str,
    *,
    with_authz: bool = False,
    with_exchange: bool = False,
    with_masters: bool = False,
) -> Mesh:
    """The catalog, then authz reading the catalog over gRPC (when asked), the exchange reading both
    (when asked; it needs authz), the masters service following the exchange (when asked), then the
    gateway in front."""
    with_exchange = with_exchange or with_masters
    with_authz = with_authz or with_exchange
    catalog = await catalog_main.build(settings, database_url)
    catalog_port = await catalog.start("127.0.0.1:0")
    catalog_address = f"127.0.0.1:{catalog_port}"
    upstreams = {"catalog": [catalog_address]}
    authz, authz_address = None, ""
    if with_authz:
        authz = await authz_main.build(settings.model_copy(update={"catalog_targets": catalog_address}), database_url)
        authz_address = f"127.0.0.1:{await authz.start('127.0.0.1:0')}"
        upstreams["authz"] = [authz_address]
    exchange, exchange_address, exchange_app = None, "", None
    # The exchange asks masters for a master record's holders, and masters follows the exchange: the
    # masters port is chosen before either starts.
    masters_address = f"127.0.0.1:{free_port()}" if with_masters else ""
    if with_exchange:
        assembly = await exchange_main.assemble(
            settings.model_copy(
                update={
                    "catalog_targets": catalog_address,
                    "authz_targets": authz_address,
                    "masters_targets": masters_address,
                }
            ),
            database_url,
        )
        exchange, exchange_app = assembly.server, assembly.exchange
        exchange_address = f"127.0.0.1:{await exchange.start('127.0.0.1:0')}"
        upstreams["exchange"] = [exchange_address]
    masters = None
    if with_masters:
        # The masters service acts in the exchange as its department, by that department's certificate.
        authority = CertificateAuthority(settings.certs_dir)
        if not authority.has(f"department-{settings.masters_department}"):
            authority.issue_client(Principal("department", settings.masters_department))
        masters = await masters_main.build(
            settings.model_copy(
                update={
                    "catalog_targets": catalog_address,
                    "authz_targets": authz_address,
                    "exchange_targets": exchange_address,
                }
            ),
            database_url,
        )
        await masters.start(masters_address)
        upstreams["masters"] = [masters_address]
    gateway = await gateway_main.build(settings, upstreams)
    gateway_port = await gateway.start("127.0.0.1:0")
    return Mesh(
        settings,
        catalog,
        gateway,
        catalog_address,
        f"127.0.0.1:{gateway_port}",
        [],
        authz,
        authz_address,
        exchange,
        exchange_address,
        exchange_app,
        masters,
        masters_address,
    )
