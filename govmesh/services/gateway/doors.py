"""The gateway's server: the gRPC port, and beside it the HTTP/JSON door when one is configured."""

from __future__ import annotations

from govmesh.runtime.server import MeshServer
from govmesh.services.gateway.httpface.server import HttpDoor


class GatewayServer(MeshServer):
    """A MeshServer that opens and closes the HTTP door together with the gRPC port."""

    http: HttpDoor | None = None

    async def start(self, address: str) -> int:
        # The door first: the gRPC port reports SERVING last, and `govmesh up` waits for that.
        if self.http is not None:
            await self.http.start()
        try:
            return await super().start(address)
        except BaseException:
            if self.http is not None:
                await self.http.stop()
            raise

    async def stop(self, grace: float = 5.0) -> None:
        # The door closes before the gRPC server's cleanup closes the upstream channels it uses.
        if self.http is not None:
            await self.http.stop()
        await super().stop(grace)
