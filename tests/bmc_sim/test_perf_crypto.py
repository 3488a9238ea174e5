"""bmc_sim.crypto.SessionCrypto (keyed once per session) gives the bytes of the per-packet reference functions."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bmc_sim import crypto
from bmc_sim.crypto import (
    AuthAlgorithm,
    CipherSuite,
    ConfidentialityAlgorithm,
    IntegrityAlgorithm,
    SessionCrypto,
    SessionKeys,
)
from bmc_sim.session_table import Session, SessionState
from bmc_sim.wire import MalformedPacket

K1 = bytes(range(0x40, 0x54))
K2 = bytes(range(0x80, 0x94))


def _keys(k1: bytes = K1, k2: bytes = K2) -> SessionKeys:
    return SessionKeys(b"s" * 20, k1, k2)


@pytest.mark.parametrize("suite_id", [1, 2, 3, 15, 16, 17])
def test_session_crypto_matches_the_per_packet_functions(suite_id: int) -> None:
    """For every implemented suite and plaintexts of 0-64 bytes (0-5 AES blocks), AuthCodes, ciphertexts and
    decryptions equal integrity_auth_code / aes_encrypt_payload / aes_decrypt_payload, packet after packet."""
    suite = crypto.CIPHER_SUITES[suite_id]
    keys = _keys()
    session_crypto = SessionCrypto(suite, keys)
    rng = random.Random(suite_id)
    assert session_crypto.auth_code_length == crypto.integrity_code_length(suite.integrity)
    assert session_crypto.encrypted == (suite.confidentiality != ConfidentialityAlgorithm.NONE)
    for length in list(range(65)) * 2:
        data = rng.randbytes(length)
        assert session_crypto.auth_code(data) == crypto.integrity_auth_code(suite.integrity, keys.k1, data)
        if not session_crypto.encrypted:
            continue
        iv = rng.randbytes(16)
        sealed = session_crypto.encrypt(data, iv)
        assert sealed == crypto.aes_encrypt_payload(keys.aes_key, data, iv)
        assert session_crypto.decrypt(sealed) == data
        other = crypto.aes_encrypt_payload(keys.aes_key, data[::-1], rng.randbytes(16))
        assert session_crypto.decrypt(other) == data[::-1]  # no state carried over from the previous packet


@pytest.mark.parametrize(
    ("integrity", "digest", "length"),
    [
        (IntegrityAlgorithm.HMAC_SHA1_96, hashlib.sha1, 12),
        (IntegrityAlgorithm.HMAC_SHA256_128, hashlib.sha256, 16),
        (IntegrityAlgorithm.HMAC_MD5_128, hashlib.md5, 16),
    ],
)
@pytest.mark.parametrize("key_length", [0, 1, 20, 32, 64, 65, 200])
def test_auth_codes_are_truncated_hmacs_for_any_key_length(
    integrity: IntegrityAlgorithm, digest: Callable[[], Any], length: int, key_length: int
) -> None:
    """The precomputed inner/outer hash states give exactly ``hmac``'s result, also for keys longer than a block."""
    key = bytes((i * 7 + 3) & 0xFF for i in range(key_length))
    suite = CipherSuite(99, AuthAlgorithm.RAKP_HMAC_SHA1, integrity, ConfidentialityAlgorithm.NONE)
    session_crypto = SessionCrypto(suite, _keys(k1=key))
    for message in (b"", b"x", bytes(range(256)) * 3):
        expected = hmac.new(key, message, digest).digest()[:length]
        assert session_crypto.auth_code(message) == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"\x00" * 16, "confidentiality.length"),
        (b"\x00" * 40, "confidentiality.length"),
        ("pad-length", "confidentiality.pad_length"),
        ("pad-bytes", "confidentiality.pad"),
    ],
)
def test_decrypt_rejects_what_the_reference_rejects(payload: bytes | str, field: str) -> None:
    """A short or ragged payload, a pad length of 16 or more and pad bytes other than 1, 2, 3 ... raise
    MalformedPacket naming the same field as aes_decrypt_payload."""
    keys = _keys()
    session_crypto = SessionCrypto(crypto.CIPHER_SUITES[3], keys)
    if payload == "pad-length":  # last plaintext byte 0x10
        payload = _reencrypt(keys.aes_key, bytes(15) + b"\x10")
    elif payload == "pad-bytes":  # pad length 2, pad bytes 1, 9
        payload = _reencrypt(keys.aes_key, bytes(13) + b"\x01\x09\x02")
    assert isinstance(payload, bytes)
    for decrypt in (session_crypto.decrypt, lambda p: crypto.aes_decrypt_payload(keys.aes_key, p)):
        with pytest.raises(MalformedPacket) as caught:
            decrypt(payload)
        assert caught.value.field == field


def _reencrypt(aes_key: bytes, padded_block: bytes) -> bytes:
    """IV plus the raw AES-CBC encryption of one already padded block (no IPMI trailer added)."""
    iv = bytes(range(16))
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded_block) + encryptor.finalize()


@pytest.mark.parametrize(
    ("integrity", "confidentiality"),
    [
        (IntegrityAlgorithm.MD5_128, ConfidentialityAlgorithm.NONE),
        (IntegrityAlgorithm.NONE, ConfidentialityAlgorithm.XRC4_128),
    ],
)
def test_unimplemented_algorithms_are_refused(
    integrity: IntegrityAlgorithm, confidentiality: ConfidentialityAlgorithm
) -> None:
    with pytest.raises(ValueError, match="not implemented"):
        SessionCrypto(CipherSuite(99, AuthAlgorithm.RAKP_HMAC_SHA1, integrity, confidentiality), _keys())


def test_keyed_state_never_reaches_repr() -> None:
    session = _session()
    session_crypto = session.crypto
    for text in (repr(session_crypto), repr(session)):
        assert K1.hex() not in text and K2.hex() not in text and "redacted" in repr(session_crypto)
    assert "crypto" not in repr(session)


def test_a_session_keys_its_crypto_once_and_again_for_new_keys() -> None:
    """Session.crypto is built on first use, reused while the keys stay, rebuilt when they are replaced."""
    session = _session()
    first = session.crypto
    assert session.crypto is first
    session.keys = _keys(k1=b"other-k1".ljust(20, b"\x00"))
    second = session.crypto
    assert second is not first
    assert second.auth_code(b"m") == crypto.integrity_auth_code(IntegrityAlgorithm.HMAC_SHA1_96, session.keys.k1, b"m")


def _session() -> Session:
    session = Session(1, 2, ("127.20.77.9", 1), "lanplus", SessionState.ACTIVE, 0.0, 0.0)
    session.suite, session.keys = crypto.CIPHER_SUITES[3], _keys()
    return session
