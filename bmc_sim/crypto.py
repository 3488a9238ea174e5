"""IPMI session cryptography: RAKP key exchange, integrity, confidentiality, IPMI 1.5 auth codes.

Pure functions (IPMI 2.0 sections 13.28-13.32, 22.17):

* RAKP-none / RAKP-HMAC-SHA1 / RAKP-HMAC-SHA256 key exchange auth codes, the
  session integrity key SIK and the derived keys K1 (integrity) and K2
  (confidentiality; AES uses its first 16 bytes);
* integrity AuthCodes HMAC-SHA1-96 and HMAC-SHA256-128 keyed with K1;
* AES-CBC-128 with the IPMI confidentiality header (16-byte IV) and trailer
  (pad bytes 1, 2, 3, ... then the pad length);
* IPMI 1.5 per-message auth codes (MD5 and straight password).

Random values (IVs, RAKP random numbers) are passed in by the caller, which
takes them from ``os.urandom``/``secrets``.  Keys never leave this module's
callers' session objects; nothing here logs.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bmc_sim.config import AuthType15
from bmc_sim.wire import MalformedPacket

AES_BLOCK = 16
CONST_1 = b"\x01" * 20
CONST_2 = b"\x02" * 20


class AuthAlgorithm(enum.IntEnum):
    """RMCP+ authentication (RAKP) algorithms (IPMI 2.0 table 13-17)."""

    RAKP_NONE = 0x00
    RAKP_HMAC_SHA1 = 0x01
    RAKP_HMAC_MD5 = 0x02
    RAKP_HMAC_SHA256 = 0x03


class IntegrityAlgorithm(enum.IntEnum):
    """RMCP+ integrity algorithms (IPMI 2.0 table 13-18)."""

    NONE = 0x00
    HMAC_SHA1_96 = 0x01
    HMAC_MD5_128 = 0x02
    MD5_128 = 0x03
    HMAC_SHA256_128 = 0x04


class ConfidentialityAlgorithm(enum.IntEnum):
    """RMCP+ confidentiality algorithms (IPMI 2.0 table 13-19)."""

    NONE = 0x00
    AES_CBC_128 = 0x01
    XRC4_128 = 0x02
    XRC4_40 = 0x03


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """One cipher suite (IPMI 2.0 table 22-20)."""

    suite_id: int
    auth: AuthAlgorithm
    integrity: IntegrityAlgorithm
    confidentiality: ConfidentialityAlgorithm


_A, _I, _C = AuthAlgorithm, IntegrityAlgorithm, ConfidentialityAlgorithm
CIPHER_SUITES: dict[int, CipherSuite] = {
    suite.suite_id: suite
    for suite in (
        CipherSuite(0, _A.RAKP_NONE, _I.NONE, _C.NONE),
        CipherSuite(1, _A.RAKP_HMAC_SHA1, _I.NONE, _C.NONE),
        CipherSuite(2, _A.RAKP_HMAC_SHA1, _I.HMAC_SHA1_96, _C.NONE),
        CipherSuite(3, _A.RAKP_HMAC_SHA1, _I.HMAC_SHA1_96, _C.AES_CBC_128),
        CipherSuite(15, _A.RAKP_HMAC_SHA256, _I.NONE, _C.NONE),
        CipherSuite(16, _A.RAKP_HMAC_SHA256, _I.HMAC_SHA256_128, _C.NONE),
        CipherSuite(17, _A.RAKP_HMAC_SHA256, _I.HMAC_SHA256_128, _C.AES_CBC_128),
    )
}


def enabled_suites(suite_ids: Iterable[int]) -> tuple[CipherSuite, ...]:
    """The implemented suites among ``suite_ids``, in the configured order, without duplicates."""
    seen: dict[int, CipherSuite] = {}
    for suite_id in suite_ids:
        if suite_id in CIPHER_SUITES and suite_id not in seen:
            seen[suite_id] = CIPHER_SUITES[suite_id]
    return tuple(seen.values())


# --------------------------------------------------------------------------- RAKP

_HASHES: dict[AuthAlgorithm, Callable[..., Any]] = {
    AuthAlgorithm.RAKP_HMAC_SHA1: hashlib.sha1,
    AuthAlgorithm.RAKP_HMAC_MD5: hashlib.md5,
    AuthAlgorithm.RAKP_HMAC_SHA256: hashlib.sha256,
}
_ICV_LENGTH = {
    AuthAlgorithm.RAKP_NONE: 0,
    AuthAlgorithm.RAKP_HMAC_SHA1: 12,
    AuthAlgorithm.RAKP_HMAC_MD5: 16,
    AuthAlgorithm.RAKP_HMAC_SHA256: 16,
}


def rakp_hmac(auth: AuthAlgorithm, key: bytes, data: bytes) -> bytes:
    """The full HMAC of ``data`` under the RAKP algorithm's hash; empty for RAKP-none."""
    if auth == AuthAlgorithm.RAKP_NONE:
        return b""
    return hmac.new(key, data, _HASHES[auth]).digest()


def _name_part(role: int, username: bytes) -> bytes:
    return bytes([role, len(username)]) + username


def rakp2_auth_code(
    auth: AuthAlgorithm,
    kuid: bytes,
    *,
    console_session_id: int,
    bmc_session_id: int,
    console_random: bytes,
    bmc_random: bytes,
    guid: bytes,
    role: int,
    username: bytes,
) -> bytes:
    """RAKP 2 key exchange auth code: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm)."""
    data = struct.pack("<II", console_session_id, bmc_session_id) + console_random + bmc_random + guid
    return rakp_hmac(auth, kuid, data + _name_part(role, username))


def rakp3_auth_code(
    auth: AuthAlgorithm, kuid: bytes, *, bmc_random: bytes, console_session_id: int, role: int, username: bytes
) -> bytes:
    """RAKP 3 key exchange auth code: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm)."""
    data = bmc_random + struct.pack("<I", console_session_id) + _name_part(role, username)
    return rakp_hmac(auth, kuid, data)


def session_integrity_key(
    auth: AuthAlgorithm, kg: bytes, *, console_random: bytes, bmc_random: bytes, role: int, username: bytes
) -> bytes:
    """SIK = HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm); KG is the user key when no BMC key is set."""
    return rakp_hmac(auth, kg, console_random + bmc_random + _name_part(role, username))


def rakp4_integrity_check_value(
    auth: AuthAlgorithm, sik: bytes, *, console_random: bytes, bmc_session_id: int, guid: bytes
) -> bytes:
    """RAKP 4 ICV = HMAC_SIK(Rm, SIDc, GUIDc) truncated (12 bytes for SHA1, 16 for SHA256/MD5)."""
    full = rakp_hmac(auth, sik, console_random + struct.pack("<I", bmc_session_id) + guid)
    return full[: _ICV_LENGTH[auth]]


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """SIK and the keys derived from it: K1 for integrity, K2 for confidentiality."""

    sik: bytes
    k1: bytes
    k2: bytes

    @property
    def aes_key(self) -> bytes:
        return self.k2[:AES_BLOCK]

    def __repr__(self) -> str:  # keys must never reach logs
        return "SessionKeys(<redacted>)"


def derive_session_keys(auth: AuthAlgorithm, sik: bytes) -> SessionKeys:
    """K1 = HMAC_SIK(20 x 0x01), K2 = HMAC_SIK(20 x 0x02); RAKP-none uses the constants themselves."""
    if auth == AuthAlgorithm.RAKP_NONE:
        return SessionKeys(b"", CONST_1, CONST_2)
    return SessionKeys(sik, rakp_hmac(auth, sik, CONST_1), rakp_hmac(auth, sik, CONST_2))


# --------------------------------------------------------------------------- integrity and confidentiality

_INTEGRITY: dict[IntegrityAlgorithm, tuple[Callable[..., Any], int]] = {
    IntegrityAlgorithm.HMAC_SHA1_96: (hashlib.sha1, 12),
    IntegrityAlgorithm.HMAC_MD5_128: (hashlib.md5, 16),
    IntegrityAlgorithm.HMAC_SHA256_128: (hashlib.sha256, 16),
}


def integrity_code_length(algorithm: IntegrityAlgorithm) -> int:
    """Length of the AuthCode in the integrity trailer (0 for NONE)."""
    return _INTEGRITY[algorithm][1] if algorithm in _INTEGRITY else 0


def integrity_auth_code(algorithm: IntegrityAlgorithm, k1: bytes, signed: bytes) -> bytes:
    """The session trailer AuthCode over ``signed`` (auth type byte through next header)."""
    if algorithm == IntegrityAlgorithm.NONE:
        return b""
    if algorithm not in _INTEGRITY:
        raise ValueError(f"integrity algorithm {algorithm!r} is not implemented")
    digest, length = _INTEGRITY[algorithm]
    return hmac.new(k1, signed, digest).digest()[:length]


def aes_encrypt_payload(aes_key: bytes, plaintext: bytes, iv: bytes) -> bytes:
    """AES-CBC-128 confidentiality header (``iv``) plus ciphertext of plaintext + pad 1,2,3.. + pad length."""
    pad_length = (AES_BLOCK - (len(plaintext) + 1) % AES_BLOCK) % AES_BLOCK
    padded = plaintext + bytes(range(1, pad_length + 1)) + bytes([pad_length])
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def aes_decrypt_payload(aes_key: bytes, payload: bytes) -> bytes:
    """Reverse :func:`aes_encrypt_payload`, checking the length and the confidentiality trailer."""
    if len(payload) < 2 * AES_BLOCK or len(payload) % AES_BLOCK:
        raise MalformedPacket("confidentiality.length", f"{len(payload)} bytes is not IV plus whole AES blocks")
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(payload[:AES_BLOCK])).decryptor()
    padded = decryptor.update(payload[AES_BLOCK:]) + decryptor.finalize()
    pad_length = padded[-1]
    if pad_length >= AES_BLOCK:
        raise MalformedPacket("confidentiality.pad_length", f"{pad_length} is not below {AES_BLOCK}")
    end = len(padded) - 1 - pad_length
    if padded[end:-1] != bytes(range(1, pad_length + 1)):
        raise MalformedPacket("confidentiality.pad", "pad bytes are not 1, 2, 3, ...")
    return padded[:end]


# --------------------------------------------------------------------------- IPMI 1.5

PASSWORD_15_LENGTH = 16
AUTH_TYPES_15_IMPLEMENTED = frozenset({AuthType15.NONE, AuthType15.MD5, AuthType15.STRAIGHT_PASSWORD})


def auth_code_15(auth_type: int, password: bytes, *, session_id: int, message: bytes, sequence: int) -> bytes:
    """IPMI 1.5 session auth code for ``message`` (section 22.17.1).

    MD5: MD5(password + session ID + message + sequence + password); straight
    password: the password itself; NONE: empty.  ``password`` is zero padded
    (or cut) to 16 bytes.  MD2 is not implemented (``ValueError``).
    """
    key = password[:PASSWORD_15_LENGTH].ljust(PASSWORD_15_LENGTH, b"\x00")
    if auth_type == AuthType15.NONE:
        return b""
    if auth_type == AuthType15.STRAIGHT_PASSWORD:
        return key
    if auth_type == AuthType15.MD5:
        ids = struct.pack("<I", session_id), struct.pack("<I", sequence)
        return hashlib.md5(key + ids[0] + message + ids[1] + key).digest()
    raise ValueError(f"IPMI 1.5 authentication type {auth_type} is not implemented")
