"""The hub's own certificate authority: a CA, server and client certificates with SPIFFE identities."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govmesh.identity import Principal

CA_NAME = "ca"
GATEWAY_NAME = "gateway"


@dataclass(frozen=True)
class KeyPair:
    """PEM bytes of a certificate and its private key, as gRPC credentials take them."""

    cert: bytes
    key: bytes


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class CertificateAuthority:
    """A directory holding the CA and the certificates it issued, one `<name>.pem`/`<name>.key` each."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name}.{suffix}"

    @property
    def exists(self) -> bool:
        return self.path(CA_NAME, "pem").exists() and self.path(CA_NAME, "key").exists()

    def init(self, *, days: int = 3650) -> None:
        """Creates the CA key and self-signed certificate; keeps an existing CA."""
        if self.exists:
            return
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govmesh"),
                x509.NameAttribute(NameOID.COMMON_NAME, "govmesh hub CA"),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.path(CA_NAME, "key"), _key_pem(key))
        self.path(CA_NAME, "pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def ca_pem(self) -> bytes:
        return self.path(CA_NAME, "pem").read_bytes()

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        cert = x509.load_pem_x509_certificate(self.ca_pem())
        key = serialization.load_pem_private_key(self.path(CA_NAME, "key").read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key

    def issue_client(self, principal: Principal, *, days: int = 365, not_before: dt.datetime | None = None) -> str:
        """Issues a client certificate whose only identity is the principal's SPIFFE URI SAN."""
        name = f"{principal.kind}-{principal.code}"
        self._issue(
            name,
            common_name=principal.header_value(),
            sans=[x509.UniformResourceIdentifier(principal.spiffe_id())],
            usage=ExtendedKeyUsageOID.CLIENT_AUTH,
            days=days,
            not_before=not_before,
        )
        return name

    def issue_server(
        self, name: str = GATEWAY_NAME, hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1"), *, days: int = 365
    ) -> str:
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        self._issue(name, common_name=name, sans=sans, usage=ExtendedKeyUsageOID.SERVER_AUTH, days=days)
        return name

    def _issue(
        self,
        name: str,
        *,
        common_name: str,
        sans: list[x509.GeneralName],
        usage: x509.ObjectIdentifier,
        days: int,
        not_before: dt.datetime | None = None,
    ) -> None:
        ca_cert, ca_key = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govmesh"),
                        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                    ]
                )
            )
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(self.path(name, "key"), _key_pem(key))
        self.path(name, "pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def key_pair(self, name: str) -> KeyPair:
        return KeyPair(self.path(name, "pem").read_bytes(), self.path(name, "key").read_bytes())

    def has(self, name: str) -> bool:
        return self.path(name, "pem").exists() and self.path(name, "key").exists()


def client_cert_name(principal: Principal) -> str:
    return f"{principal.kind}-{principal.code}"
