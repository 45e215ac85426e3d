"""The hub's own certificate authority: a CA, server and client certificates with SPIFFE identities."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govmesh.runtime.identity import Principal

CA_NAME = "ca"
GATEWAY_NAME = "gateway"
# The mesh's own services: each has one certificate, `service-<code>`, that it both serves its
# internal port with and calls the other services with.
SERVICE_CODES = ("catalog", "authz", "exchange", "masters", "gateway")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# The revocation list beside the certificates: `crl.pem`, signed by the CA, reread by the gateway.
CRL_NAME = "crl"
# A CRL must name its next update; the gateway ignores it (the file is reread whenever it changes),
# other readers of the file get a long horizon.
_CRL_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True)
class KeyPair:
    """PEM bytes of a certificate and its private key, as gRPC credentials take them."""

    cert: bytes
    key: bytes


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


def _write_atomically(path: Path, data: bytes) -> None:
    """Replaces the file in one rename, so a reader watching it never sees half of it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def serial_hex(serial: int) -> str:
    """A serial number as `govmesh certs` prints and takes it: lower-case hex without separators."""
    return format(serial, "x")


def parse_serial(text: str) -> int | None:
    """Reads `3f9a…`, `0x3f9a…` or `3F:9A:…`; None when the text is not a hex serial."""
    digits = text.strip().lower().removeprefix("0x").replace(":", "")
    if not digits or any(c not in "0123456789abcdef" for c in digits):
        return None
    return int(digits, 16)


def spiffe_id_of(cert: x509.Certificate) -> str:
    """The certificate's `spiffe://` URI SAN, or an empty string."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ""
    for uri in sans.get_values_for_type(x509.UniformResourceIdentifier):
        if uri.startswith("spiffe://"):
            return uri
    return ""


def read_revocation_list(crl_pem: bytes, ca_pem: bytes) -> frozenset[int]:
    """The serials a CRL revokes, after checking that the hub's CA signed it (ValueError otherwise)."""
    crl = x509.load_pem_x509_crl(crl_pem)
    ca = x509.load_pem_x509_certificate(ca_pem)
    public_key = ca.public_key()
    if crl.issuer != ca.subject or not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("the revocation list was not issued by the hub's CA")
    if not crl.is_signature_valid(public_key):
        raise ValueError("the revocation list's signature does not verify against the hub's CA")
    return frozenset(entry.serial_number for entry in crl)


@dataclass(frozen=True)
class IssuedCertificate:
    """One certificate in the directory, as `govmesh certs list` shows it."""

    name: str
    spiffe_id: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    revoked: bool

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)

    def status(self, now: dt.datetime) -> str:
        if self.revoked:
            return "revoked"
        if now >= self.not_after:
            return "expired"
        if now < self.not_before:
            return "not yet valid"
        return "valid"


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_ca_certificate(common_name: str, days: int) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new CA key and its self-signed certificate, valid from five minutes ago for `days`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govmesh"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
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
        # Lets chains name their CA by key while two CAs are trusted during a rotation.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


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
        cert, key = new_ca_certificate("govmesh hub CA", days)
        _write_private(self.path(CA_NAME, "key"), _key_pem(key))
        self.path(CA_NAME, "pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def ca_pem(self) -> bytes:
        return self.path(CA_NAME, "pem").read_bytes()

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        cert = x509.load_pem_x509_certificate(self.ca_pem())
        key = serialization.load_pem_private_key(self.path(CA_NAME, "key").read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key

    def issue_client(
        self,
        principal: Principal,
        *,
        days: int = 365,
        not_before: dt.datetime | None = None,
        name: str = "",
        holder: str = "",
    ) -> str:
        """Issues a client certificate whose only identity is the principal's SPIFFE URI SAN.

        A `service/<code>` principal gets a service certificate (`issue_service`), which also serves.
        With `name` and `holder`, a certificate of its own for a program acting as the principal (an
        application acting as its department): its own key and serial, revocable alone, files named
        `name`, its common name saying who holds it.
        """
        if principal.kind == "service" and not_before is None and not name:
            return self.issue_service(principal.code, days=days)
        name = name or f"{principal.kind}-{principal.code}"
        self._issue(
            name,
            common_name=f"{holder} ({principal.header_value()})" if holder else principal.header_value(),
            sans=[x509.UniformResourceIdentifier(principal.spiffe_id())],
            usage=ExtendedKeyUsageOID.CLIENT_AUTH,
            days=days,
            not_before=not_before,
        )
        return name

    def issue_server(
        self, name: str = GATEWAY_NAME, hosts: tuple[str, ...] = LOOPBACK_HOSTS, *, days: int = 365
    ) -> str:
        self._issue(name, common_name=name, sans=_host_names(hosts), usage=ExtendedKeyUsageOID.SERVER_AUTH, days=days)
        return name

    def issue_service(self, code: str, hosts: tuple[str, ...] = (), *, days: int = 365, out: Path | None = None) -> str:
        """Issues a mesh service's certificate: `spiffe://govmesh/service/<code>`, for serving and for calling.

        Its DNS name `<code>.service.govmesh` is what callers verify (whatever address they dial),
        so a replica on another machine needs no certificate per host; `hosts` adds more names.
        With `out`, the certificate and key go to that directory (beside a copy of the CA's
        certificate and revocation list) instead of this one: a replica's certs directory, ready
        to copy, leaving the local service's own certificate as it is.
        """
        principal = Principal("service", code)
        name = client_cert_name(principal)
        sans = [
            x509.UniformResourceIdentifier(principal.spiffe_id()),
            *_host_names((service_host_name(code), *LOOPBACK_HOSTS, *hosts)),
        ]
        self._issue(
            name,
            common_name=principal.header_value(),
            sans=sans,
            usage=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            days=days,
            out=out,
        )
        if out is not None:
            (out / f"{CA_NAME}.pem").write_bytes(self.ca_pem())
            if self.crl_path.exists():
                (out / self.crl_path.name).write_bytes(self.crl_path.read_bytes())
        return name

    def _issue(
        self,
        name: str,
        *,
        common_name: str,
        sans: list[x509.GeneralName],
        usage: x509.ObjectIdentifier | list[x509.ObjectIdentifier],
        days: int,
        not_before: dt.datetime | None = None,
        out: Path | None = None,
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
            .add_extension(x509.ExtendedKeyUsage(usage if isinstance(usage, list) else [usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        directory = out or self.directory
        _write_private(directory / f"{name}.key", _key_pem(key))
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def key_pair(self, name: str) -> KeyPair:
        return KeyPair(self.path(name, "pem").read_bytes(), self.path(name, "key").read_bytes())

    def has(self, name: str) -> bool:
        return self.path(name, "pem").exists() and self.path(name, "key").exists()

    @property
    def crl_path(self) -> Path:
        return self.path(CRL_NAME, "pem")

    def revoked_serials(self) -> frozenset[int]:
        """Every serial the revocation list names; none before the first revocation."""
        if not self.crl_path.exists():
            return frozenset()
        return read_revocation_list(self.crl_path.read_bytes(), self.ca_pem())

    def certificate(self, name: str) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.path(name, "pem").read_bytes())

    def serial_of(self, name_or_serial: str) -> int:
        """The serial of `department/AIC`, `department-AIC` or a hex serial; LookupError if none matches."""
        for name in (name_or_serial.replace("/", "-", 1), name_or_serial):
            if name and name not in (CA_NAME, CRL_NAME) and self.path(name, "pem").exists():
                return int(self.certificate(name).serial_number)
        serial = parse_serial(name_or_serial)
        if serial is None:
            raise LookupError(f"no certificate named {name_or_serial!r} in {self.directory}, nor is it a hex serial")
        return serial

    def revoke(self, name_or_serial: str) -> int:
        """Adds a certificate's serial to the CA-signed revocation list the gateway rereads; returns it.

        Revoking twice keeps the first revocation date. The CA itself cannot be revoked this way.
        """
        serial = self.serial_of(name_or_serial)
        ca_cert, ca_key = self._ca()
        if serial == ca_cert.serial_number:
            raise ValueError("the CA cannot revoke itself; create a new CA instead")
        entries: dict[int, dt.datetime] = {}
        if self.crl_path.exists():
            for entry in x509.load_pem_x509_crl(self.crl_path.read_bytes()):
                entries[entry.serial_number] = entry.revocation_date_utc
        now = dt.datetime.now(dt.UTC)
        entries.setdefault(serial, now)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now)
            .next_update(now + _CRL_VALIDITY)
        )
        for revoked_serial, when in sorted(entries.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(revoked_serial).revocation_date(when).build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())
        _write_atomically(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        return serial

    def issued(self) -> list[IssuedCertificate]:
        """Every certificate in the directory but the CA's, by name, with its revocation state."""
        revoked = self.revoked_serials()
        found = []
        for path in sorted(self.directory.glob("*.pem")):
            name = path.stem
            if name in (CA_NAME, CRL_NAME):
                continue
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            found.append(
                IssuedCertificate(
                    name=name,
                    spiffe_id=spiffe_id_of(cert),
                    serial=cert.serial_number,
                    not_before=cert.not_valid_before_utc,
                    not_after=cert.not_valid_after_utc,
                    revoked=cert.serial_number in revoked,
                )
            )
        return found


def client_cert_name(principal: Principal) -> str:
    return f"{principal.kind}-{principal.code}"


def service_host_name(code: str) -> str:
    """The DNS name a mesh service's certificate carries and its callers check, wherever it runs."""
    return f"{code}.service.govmesh"


def _host_names(hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    sans: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    return sans
