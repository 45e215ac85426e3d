"""Mutual TLS on every hop: server credentials, service channels, the verified peer and the revocation list."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from govmesh.runtime.certs import (
    CA_NAME,
    CertificateAuthority,
    client_cert_name,
    read_revocation_list,
    serial_hex,
    service_host_name,
    spiffe_id_of,
)
from govmesh.runtime.channels import RenewingChannel, matching_pair
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import ANONYMOUS, Principal

log = logging.getLogger("govmesh.mtls")

# Certificates parsed once and remembered by their PEM bytes: a peer reuses one connection and one
# certificate for many calls, and parsing X.509 on every call would cost more than the call.
_REMEMBERED_CERTIFICATES = 4096
T = TypeVar("T")


@dataclass(frozen=True)
class PeerCertificate:
    """The client certificate a peer presented (already verified by the TLS handshake)."""

    serial: int
    spiffe_id: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256_fingerprint: str

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)

    @property
    def principal(self) -> Principal:
        return Principal.parse(self.spiffe_id) if self.spiffe_id else ANONYMOUS


def peer_certificate(pem: bytes) -> PeerCertificate:
    cert = x509.load_pem_x509_certificate(pem)
    return PeerCertificate(
        serial=cert.serial_number,
        spiffe_id=spiffe_id_of(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


class PeerCache(Generic[T]):
    """What `make` reads from each call's verified peer certificate, remembered by its PEM; None over plaintext."""

    def __init__(self, make: Callable[[bytes], T], remembered: int = _REMEMBERED_CERTIFICATES):
        self._make = make
        self._known: dict[bytes, T] = {}
        self._remembered = remembered

    def __call__(self, context: grpc.aio.ServicerContext) -> T | None:
        pems = context.auth_context().get("x509_pem_cert")
        if not pems:
            return None
        pem = pems[0]
        known = self._known.get(pem)
        if known is None:
            known = self._make(pem)
            if len(self._known) >= self._remembered:
                self._known.clear()
            self._known[pem] = known
        return known


class RevocationList:
    """The serials `govmesh certs revoke` listed in the CA-signed `crl.pem`, reread whenever the file changes.

    A revoked certificate may still hold an open connection (TLS checked it once, at the
    handshake), so every call's certificate serial is checked against this set, and open streams
    wait on `wait_revoked` to be cut when their certificate joins it.
    """

    def __init__(self, authority: CertificateAuthority):
        self._authority = authority
        self.serials: frozenset[int] = frozenset()
        self._seen: tuple[int, int, int] | None = None
        self._changed: asyncio.Event | None = None

    def reload_if_changed(self) -> bool:
        """Rereads the list if its file changed; a list that fails to verify is logged and not used."""
        path = self._authority.crl_path
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            changed = self._seen is not None
            self._seen, self.serials = None, frozenset()
            return changed
        # The inode catches a replacement within the file system's timestamp granularity.
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if seen == self._seen:
            return False
        try:
            serials = read_revocation_list(path.read_bytes(), self._authority.ca_pem())
        except (OSError, ValueError):
            log.exception("the revocation list %s is unreadable or not signed by the hub's CA; keeping the last", path)
            return False
        self._seen, self.serials = seen, serials
        log.info("revocation list loaded: %d revoked certificate(s)", len(serials))
        if self._changed is not None:
            self._changed.set()
            self._changed = None
        return True

    async def wait_revoked(self, serial: int) -> None:
        """Returns once `serial` is on the list (checked at each reload)."""
        while serial not in self.serials:
            if self._changed is None:
                self._changed = asyncio.Event()
            await self._changed.wait()

    async def follow(self, interval: float) -> None:
        """Rereads the list every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            self.reload_if_changed()


def file_stamps(files: Sequence[Path]) -> tuple[tuple[int, int], ...]:
    """What changes when any of `files` is rewritten or replaced (OSError while one is missing)."""
    return tuple((s.st_mtime_ns, s.st_ino) for s in map(os.stat, files))


def server_credentials(authority: CertificateAuthority, name: str) -> grpc.ServerCredentials:
    """Mutual TLS with certificate `name`: client certificates required, from the hub's CA.

    gRPC asks for the configuration before every new connection's handshake, so a renewed
    certificate or CA file is used from the next connection on, without a restart.
    """
    files = [authority.path(name, "pem"), authority.path(name, "key"), authority.path(CA_NAME, "pem")]

    def stamps() -> tuple[tuple[int, int], ...]:
        return file_stamps(files)

    def configuration() -> grpc.ServerCertificateConfiguration:
        pair = authority.key_pair(name)
        return grpc.ssl_server_certificate_configuration([(pair.key, pair.cert)], root_certificates=authority.ca_pem())

    loaded = [stamps()]

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        try:
            current = stamps()
            if current == loaded[0]:
                return None
            fresh = configuration()
        except Exception:  # a half-written file must not stop new connections: keep the last configuration
            log.exception("could not reload certificate %s; keeping the one in use", name)
            return None
        loaded[0] = current
        log.info("certificate %s or the CA changed on disk; new connections use the new one", name)
        return fresh

    return grpc.dynamic_ssl_server_credentials(configuration(), fetch, require_client_authentication=True)


def target_of(addresses: Sequence[str]) -> str:
    """One gRPC target over every replica address (the balancing policy spreads calls across them)."""
    return addresses[0] if len(addresses) == 1 else "ipv4:" + ",".join(addresses)


@dataclass(frozen=True)
class ServiceTLS:
    """A mesh service's own certificate: it serves its internal port with it and calls the others with it."""

    authority: CertificateAuthority
    principal: Principal
    revocation_check_seconds: float = 1.0

    @classmethod
    def of(cls, settings: Settings, code: str) -> ServiceTLS:
        """The certificate of `service/<code>` in the certs directory; a clear error if it was never issued."""
        tls = cls(
            CertificateAuthority(settings.certs_dir),
            Principal("service", code),
            settings.gateway_revocation_check_seconds,
        )
        if not (tls.authority.has(tls.name) and tls.authority.path(CA_NAME, "pem").exists()):
            raise RuntimeError(
                f"no certificate for {tls.principal} in {tls.authority.directory}: `govmesh up` issues one, "
                f"or run `govmesh certs issue {tls.principal}` where the CA is and copy ca.pem, crl.pem, "
                f"{tls.name}.pem and {tls.name}.key here"
            )
        return tls

    @property
    def name(self) -> str:
        return client_cert_name(self.principal)

    def server_credentials(self) -> grpc.ServerCredentials:
        return server_credentials(self.authority, self.name)

    def channel(
        self, addresses: Sequence[str], service: str, options: Sequence[tuple[str, Any]] = ()
    ) -> grpc.aio.Channel:
        """A channel to `service`'s replicas over mutual TLS, checking each presents `service/<service>`'s name.

        It follows this service's certificate files (`RenewingChannel`): after `govmesh certs renew`
        or a CA rotation, calls go out with the new certificate within `revocation_check_seconds`.
        """
        target = target_of(addresses)
        options = [*options, ("grpc.ssl_target_name_override", service_host_name(service))]
        files = [self.authority.path(self.name, "pem"), self.authority.path(self.name, "key")]
        files.append(self.authority.path(CA_NAME, "pem"))

        def make() -> grpc.aio.Channel | None:
            pair = self.authority.key_pair(self.name)
            if not matching_pair(pair.cert, pair.key):
                return None
            credentials = grpc.ssl_channel_credentials(self.authority.ca_pem(), pair.key, pair.cert)
            return grpc.aio.secure_channel(target, credentials, options=options)

        return RenewingChannel(make, lambda: file_stamps(files), self.revocation_check_seconds)
