"""The rack's Redfish certificates: the same seed gives the same bytes, and a BMC's leaf verifies against the CA."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from redfish_sim.tls import CertificateAuthority


def test_same_seed_same_certificates_other_seed_other_ones() -> None:
    one, two = CertificateAuthority("seed-a", "lab"), CertificateAuthority("seed-a", "lab")
    assert one.pem == two.pem
    assert one.issue("127.66.0.5", "node05") == two.issue("127.66.0.5", "node05")
    assert CertificateAuthority("seed-b", "lab").pem != one.pem


def test_leaf_names_the_bmc_address_and_is_signed_by_the_ca() -> None:
    ca = CertificateAuthority("seed-a", "lab")
    leaf = x509.load_pem_x509_certificate(ca.issue("127.66.0.5", "node05").certificate_pem)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.66.0.5"]
    assert leaf.issuer == ca.certificate.subject
    public = ca.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    leaf.verify_directly_issued_by(ca.certificate)
