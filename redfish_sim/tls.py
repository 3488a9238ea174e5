"""Certificates for the BMCs' HTTPS, deterministic from a seed.

A rack has one certificate authority and each BMC a leaf certificate for its address, both on P-256 keys
derived from ``sha256(seed, role)`` and signed with deterministic ECDSA (RFC 6979): the same seed gives
byte-identical certificates on every run, so a client can trust the rack's CA file once
(``requests.get(url, verify=ca_path)``, ``curl --cacert``, sushy's ``verify=``).  The keys are as secret
as the seed: good for tests, never for production.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2049, 12, 31, tzinfo=UTC)
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 group order


def derived_key(seed: str, role: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from ``seed`` and ``role`` (same inputs, same key)."""
    digest = hashlib.sha256(f"vrack-redfish\0{seed}\0{role}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (_ORDER - 1) + 1, ec.SECP256R1())


def _serial(seed: str, role: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial\0{seed}\0{role}".encode()).digest()[:16], "big") >> 1


@dataclass(frozen=True)
class Credential:
    """A certificate and its key, PEM encoded."""

    certificate_pem: bytes
    key_pem: bytes


class CertificateAuthority:
    """The rack's CA; :meth:`issue` makes a BMC's server certificate for its address."""

    def __init__(self, seed: str, name: str = "vrack") -> None:
        self._seed = seed
        self._key = derived_key(seed, "ca")
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} BMC certificate authority")])
        self._name = subject
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(_serial(seed, "ca"))
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256(), ecdsa_deterministic=True)
        )

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, address: str, name: str) -> Credential:
        """A server certificate for ``address`` (an IP, put in subjectAltName) named ``name``."""
        key = derived_key(self._seed, f"bmc:{name}:{address}")
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(_serial(self._seed, f"bmc:{name}:{address}"))
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256(), ecdsa_deterministic=True)
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return Credential(cert.public_bytes(serialization.Encoding.PEM), key_pem)
