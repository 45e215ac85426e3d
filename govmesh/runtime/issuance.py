"""Certificates for a real installation: known principals only, CSRs, deliberate renewal and CA rotation.

Renewal either overlaps (the old certificate stays valid until it expires, so its holder can switch
over at leisure; its file moves to `retired/`) or revokes the old one at once (`revoke_old`), never
silently both. CA rotation trusts both CAs during the overlap: `ca.pem` becomes a bundle, the new CA
first (it signs from then on, the revocation list included), the previous one after it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govmesh.runtime.certs import (
    CA_NAME,
    GATEWAY_NAME,
    CertificateAuthority,
    new_ca_certificate,
    serial_hex,
)
from govmesh.runtime.identity import Principal

# The services a `service/<code>` certificate may name.
KNOWN_SERVICES = frozenset({"catalog", "authz", "exchange", "masters", "gateway"})
DEFAULT_GATEWAY_HOSTS = ("localhost", "127.0.0.1", "::1")
RETIRED_DIR = "retired"
ROTATION_DIR = "rotation"
PREVIOUS_CA = "previous-ca"


class IssuanceRefused(ValueError):
    """A certificate the hub will not issue, with a sentence saying why."""


@dataclass(frozen=True)
class Renewal:
    """What issuing did: the new certificate's serial, and the old one's, if any, and whether it was revoked."""

    name: str
    serial: int
    previous_serial: int | None
    previous_revoked: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "serial_number": serial_hex(self.serial),
            "previous_serial_number": serial_hex(self.previous_serial) if self.previous_serial is not None else None,
            "previous": None
            if self.previous_serial is None
            else ("revoked" if self.previous_revoked else "valid until it expires"),
        }


def check_known(principal: Principal, department_codes: Collection[str]) -> None:
    """Refuses identities the hub does not know: a kind outside the list, a department not in the catalog."""
    if principal.is_anonymous:
        raise IssuanceRefused(
            "identity must be kind/code with kind one of department, maintainer, admin, auditor, service"
        )
    if principal.kind == "department" and principal.code not in department_codes:
        raise IssuanceRefused(f"department {principal.code!r} is not in the catalog; register it there first")
    if principal.kind == "service" and principal.code not in KNOWN_SERVICES:
        raise IssuanceRefused(f"service {principal.code!r} is not one of {', '.join(sorted(KNOWN_SERVICES))}")


def _ca(authority: CertificateAuthority) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(authority.ca_pem())
    key = serialization.load_pem_private_key(authority.path(CA_NAME, "key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def _signed(
    authority: CertificateAuthority,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey,
    *,
    common_name: str,
    sans: Sequence[x509.GeneralName],
    usage: x509.ObjectIdentifier,
    days: int,
) -> x509.Certificate:
    ca_cert, ca_key = _ca(authority)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govmesh"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        # Which CA signed it, so chains resolve while two CAs are trusted during a rotation.
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _retire(authority: CertificateAuthority, name: str, revoke_old: bool) -> tuple[int | None, bool]:
    """Moves the current certificate (and key) of `name` to retired/, revoking it when asked."""
    current = authority.path(name, "pem")
    if not current.exists():
        return None, False
    serial = int(x509.load_pem_x509_certificate(current.read_bytes()).serial_number)
    if revoke_old:
        authority.revoke(serial_hex(serial))
    retired = authority.directory / RETIRED_DIR
    retired.mkdir(exist_ok=True)
    for suffix in ("pem", "key"):
        source = authority.path(name, suffix)
        if source.exists():
            shutil.move(source, retired / f"{name}-{serial_hex(serial)}.{suffix}")
    return serial, revoke_old


def sign_request(
    authority: CertificateAuthority, csr_pem: bytes, principal: Principal, *, days: int = 365, revoke_old: bool = False
) -> tuple[Renewal, bytes]:
    """Signs a department's CSR for `principal`, whose key never leaves it; returns the certificate's PEM.

    The CSR must carry a valid self-signature and name exactly that identity (URI SAN or common name);
    the certificate carries only the identity the hub checked, whatever else the CSR asked for.
    """
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError:
        raise IssuanceRefused("the file is not a PEM certificate signing request") from None
    if not csr.is_signature_valid:
        raise IssuanceRefused("the request's signature does not verify: it was not made with its own key")
    requested = _requested_identity(csr)
    if requested != principal.header_value():
        shown = requested or "no identity"
        raise IssuanceRefused(f"the request names {shown}, not {principal.header_value()}")
    public_key = csr.public_key()
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < 2048:
        raise IssuanceRefused("RSA keys must have at least 2048 bits")
    if not isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise IssuanceRefused("the key must be EC, RSA (2048 bits or more) or Ed25519")
    name = f"{principal.kind}-{principal.code}"
    previous, revoked = _retire(authority, name, revoke_old)
    cert = _signed(
        authority,
        public_key,
        common_name=principal.header_value(),
        sans=[x509.UniformResourceIdentifier(principal.spiffe_id())],
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        days=days,
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    # The hub keeps the certificate (for `certs list` and revocation by name), never the key.
    authority.path(name, "pem").write_bytes(pem)
    return Renewal(name, cert.serial_number, previous, revoked), pem


def _requested_identity(csr: x509.CertificateSigningRequest) -> str:
    """`kind/code` the CSR asks for: its spiffe:// URI SAN if it has one, else its common name."""
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = [u for u in sans.get_values_for_type(x509.UniformResourceIdentifier) if u.startswith("spiffe://")]
    except x509.ExtensionNotFound:
        uris = []
    if len(uris) > 1:
        return ""
    if uris:
        parsed = Principal.parse(uris[0])
        return "" if parsed.is_anonymous else parsed.header_value()
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    parsed = Principal.parse(str(names[0].value)) if names else Principal.parse("")
    return "" if parsed.is_anonymous else parsed.header_value()


def renew_client(
    authority: CertificateAuthority, principal: Principal, *, days: int = 365, revoke_old: bool = False
) -> Renewal:
    """A new key and certificate for an identity whose key the hub keeps (hub roles, development)."""
    name = f"{principal.kind}-{principal.code}"
    previous, revoked = _retire(authority, name, revoke_old)
    authority.issue_client(principal, days=days)
    return Renewal(name, int(authority.certificate(name).serial_number), previous, revoked)


def gateway_hosts(authority: CertificateAuthority) -> tuple[str, ...]:
    """The DNS names and addresses the gateway's certificate covers now (none without one)."""
    if not authority.path(GATEWAY_NAME, "pem").exists():
        return ()
    cert = authority.certificate(GATEWAY_NAME)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    hosts = [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    return tuple(sans.get_values_for_type(x509.DNSName)) + tuple(hosts)


def _normalised(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower().rstrip(".")


def ensure_gateway(
    authority: CertificateAuthority, hosts: Sequence[str], *, days: int = 365, revoke_old: bool = False
) -> Renewal | None:
    """Issues the gateway's server certificate for loopback and `hosts`; re-issues it when a host is missing."""
    covered = [_normalised(h) for h in gateway_hosts(authority)]
    # Names given before stay covered: departments may already reach the gateway by them.
    wanted = list(dict.fromkeys([*DEFAULT_GATEWAY_HOSTS, *covered, *(_normalised(h) for h in hosts)]))
    if covered and set(wanted) <= set(covered):
        return None
    previous, revoked = _retire(authority, GATEWAY_NAME, revoke_old)
    authority.issue_server(GATEWAY_NAME, tuple(wanted), days=days)
    return Renewal(GATEWAY_NAME, int(authority.certificate(GATEWAY_NAME).serial_number), previous, revoked)


def renew_gateway(authority: CertificateAuthority, *, days: int = 365, revoke_old: bool = False) -> Renewal:
    """The gateway's certificate again, for the same hosts, signed by the CA that signs now."""
    hosts = gateway_hosts(authority) or DEFAULT_GATEWAY_HOSTS
    previous, revoked = _retire(authority, GATEWAY_NAME, revoke_old)
    authority.issue_server(GATEWAY_NAME, tuple(hosts), days=days)
    return Renewal(GATEWAY_NAME, int(authority.certificate(GATEWAY_NAME).serial_number), previous, revoked)


def _rotation(authority: CertificateAuthority, suffix: str) -> Path:
    return authority.directory / ROTATION_DIR / f"{PREVIOUS_CA}.{suffix}"


def rotation_in_progress(authority: CertificateAuthority) -> bool:
    return _rotation(authority, "pem").exists()


def begin_ca_rotation(authority: CertificateAuthority, *, days: int = 3650) -> x509.Certificate:
    """A new CA signs from now on; `ca.pem` trusts both until `finish_ca_rotation`.

    The new CA gets its own name (two CAs with one subject would make chain building pick either), and
    the revocation list is signed again by it, keeping every entry.
    """
    if rotation_in_progress(authority):
        raise IssuanceRefused("a CA rotation is already in progress; finish it first")
    old_pem = authority.path(CA_NAME, "pem").read_bytes()
    old_key = authority.path(CA_NAME, "key").read_bytes()
    revoked = sorted(authority.revoked_serials())
    _rotation(authority, "pem").parent.mkdir(exist_ok=True)
    _rotation(authority, "pem").write_bytes(old_pem)
    _rotation(authority, "key").write_bytes(old_key)
    _rotation(authority, "key").chmod(0o600)
    cert, key = new_ca_certificate(f"govmesh hub CA {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}", days)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    authority.path(CA_NAME, "key").write_bytes(key_pem)
    authority.path(CA_NAME, "key").chmod(0o600)
    authority.path(CA_NAME, "pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + old_pem)
    authority.crl_path.unlink(missing_ok=True)
    for serial in revoked:
        authority.revoke(serial_hex(serial))
    return cert


def signed_by_previous_ca(authority: CertificateAuthority) -> list[str]:
    """The certificates in the directory that the previous CA signed: what to renew before finishing."""
    if not rotation_in_progress(authority):
        return []
    previous = x509.load_pem_x509_certificate(_rotation(authority, "pem").read_bytes())
    return [
        path.stem
        for path in sorted(authority.directory.glob("*.pem"))
        if path.stem != CA_NAME
        and path != authority.crl_path
        and x509.load_pem_x509_certificate(path.read_bytes()).issuer == previous.subject
    ]


def finish_ca_rotation(authority: CertificateAuthority, *, force: bool = False) -> list[str]:
    """Stops trusting the previous CA; refuses while certificates it signed remain, unless `force`.

    Returns the names of the certificates that stop working (empty unless forced).
    """
    if not rotation_in_progress(authority):
        raise IssuanceRefused("no CA rotation is in progress")
    remaining = signed_by_previous_ca(authority)
    if remaining and not force:
        raise IssuanceRefused(
            f"{len(remaining)} certificate(s) still signed by the previous CA ({', '.join(remaining[:5])}"
            f"{'…' if len(remaining) > 5 else ''}); renew them first, or --force"
        )
    current = x509.load_pem_x509_certificates(authority.ca_pem())[0]
    authority.path(CA_NAME, "pem").write_bytes(current.public_bytes(serialization.Encoding.PEM))
    archive = authority.directory / RETIRED_DIR
    archive.mkdir(exist_ok=True)
    previous = x509.load_pem_x509_certificate(_rotation(authority, "pem").read_bytes())
    for suffix in ("pem", "key"):
        shutil.move(_rotation(authority, suffix), archive / f"ca-{serial_hex(previous.serial_number)}.{suffix}")
    return remaining
