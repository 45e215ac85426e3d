"""Outgoing mutual-TLS channels that follow their certificate files: a renewed certificate is used without a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

log = logging.getLogger("govmesh.mtls")

# Calls already running on a replaced channel (a long stream) may finish on the old certificate for
# this long; then they are cut and their callers reopen them on the new one.
RETIRED_GRACE_SECONDS = 3600.0


def matching_pair(cert_pem: bytes, key_pem: bytes) -> bool:
    """Whether the key belongs to the certificate: a renewal writes the two files one after the other."""
    try:
        cert_key = x509.load_pem_x509_certificate(cert_pem).public_key()
        key = serialization.load_pem_private_key(key_pem, password=None)
    except ValueError:
        return False
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return cert_key.public_bytes(der, raw) == key.public_key().public_bytes(der, raw)


class RenewingChannel(grpc.aio.Channel):
    """A channel whose client certificate is reread when its files change, as `crl.pem` is.

    gRPC's channel credentials are fixed when a channel is made, so a service that loaded its
    certificate at start would keep presenting it after `govmesh certs renew` (and be refused once
    the old one is revoked or expires). Here every call asks for the current channel; at most once
    every `check_seconds` that looks at the files' stamps (`stamps`), and when they changed and
    `make` builds a channel from a complete, consistent set, new calls go to the new channel. The
    old one is closed once its running calls end (or after RETIRED_GRACE_SECONDS).
    Stubs made over this channel keep working across renewals: their methods are bound to it.
    """

    def __init__(
        self,
        make: Callable[[], grpc.aio.Channel | None],
        stamps: Callable[[], Hashable],
        check_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        first = make()
        if first is None:
            raise ValueError("the channel's certificate and key do not match")
        self._make, self._stamps, self._check_seconds, self._clock = make, stamps, check_seconds, clock
        self._current = first
        self._seen = stamps()
        self._checked = clock()
        self.generation = 0
        self._retiring: dict[asyncio.Task[None], grpc.aio.Channel] = {}

    def current(self) -> grpc.aio.Channel:
        """The channel new calls go to, made anew if the certificate files changed since the last look."""
        now = self._clock()
        if now - self._checked >= self._check_seconds:
            self._checked = now
            self._renew_if_changed()
        return self._current

    def _renew_if_changed(self) -> None:
        try:
            seen = self._stamps()
            if seen == self._seen:
                return
            fresh = self._make()
        except Exception:  # a file being replaced: keep the channel in use and look again next time
            log.debug("certificate files mid-change; keeping the channel in use", exc_info=True)
            return
        if fresh is None:
            return
        old, self._current, self._seen = self._current, fresh, seen
        self.generation += 1
        log.info("the outgoing certificate changed on disk; new calls use the new one")
        task = asyncio.get_running_loop().create_task(old.close(RETIRED_GRACE_SECONDS))
        self._retiring[task] = old
        task.add_done_callback(self._retiring.pop)

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Renewing(self, "unary_unary", method, args, kwargs)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Renewing(self, "unary_stream", method, args, kwargs)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Renewing(self, "stream_unary", method, args, kwargs)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Renewing(self, "stream_stream", method, args, kwargs)

    async def close(self, grace: float | None = None) -> None:
        """Closes the current channel and any replaced one still finishing its calls, with `grace`."""
        retired = list(self._retiring.values())
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(self._current.close(grace), *(old.close(grace) for old in retired))

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self.current().get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self.current().wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self.current().channel_ready()

    async def __aenter__(self) -> RenewingChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close(None)


class _Renewing:
    """A stub's method over a RenewingChannel: made again on the current channel after each renewal."""

    __slots__ = ("_args", "_bound", "_channel", "_generation", "_kind", "_kwargs", "_method")

    def __init__(self, channel: RenewingChannel, kind: str, method: str, args: Any, kwargs: Any):
        self._channel, self._kind, self._method, self._args, self._kwargs = channel, kind, method, args, kwargs
        self._generation = -1
        self._bound: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        current = self._channel.current()
        if self._generation != self._channel.generation:
            self._bound = getattr(current, self._kind)(self._method, *self._args, **self._kwargs)
            self._generation = self._channel.generation
        return self._bound(*args, **kwargs)
