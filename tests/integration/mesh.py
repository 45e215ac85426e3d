"""A running catalog and gateway on loopback port 0, and channels to the gateway as any principal."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from catalog import main as catalog_main
from catalog.v1 import catalog_pb2_grpc
from gateway import main as gateway_main
from govmesh.certs import CertificateAuthority
from govmesh.config import Settings
from govmesh.server import MeshServer


@dataclass
class Mesh:
    """A running catalog and gateway, and ways to call them as any principal."""

    settings: Settings
    catalog: MeshServer
    gateway: MeshServer
    catalog_address: str
    gateway_address: str
    channels: list[grpc.aio.Channel]

    def channel(self, identity: str = "department/AIC") -> grpc.aio.Channel:
        authority = CertificateAuthority(self.settings.certs_dir)
        pair = authority.key_pair(identity.replace("/", "-"))
        creds = grpc.ssl_channel_credentials(authority.ca_pem(), pair.key, pair.cert)
        channel = grpc.aio.secure_channel(self.gateway_address, creds)
        self.channels.append(channel)
        return channel

    def catalog_stub(self, identity: str = "department/AIC") -> catalog_pb2_grpc.CatalogServiceStub:
        return catalog_pb2_grpc.CatalogServiceStub(self.channel(identity))


async def start_mesh(settings: Settings, database_url: str) -> Mesh:
    catalog = await catalog_main.build(settings, database_url)
    catalog_port = await catalog.start("127.0.0.1:0")
    catalog_address = f"127.0.0.1:{catalog_port}"
    gateway = await gateway_main.build(settings, {"catalog": [catalog_address]})
    gateway_port = await gateway.start("127.0.0.1:0")
    return Mesh(settings, catalog, gateway, catalog_address, f"127.0.0.1:{gateway_port}", [])
