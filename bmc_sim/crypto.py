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
from typing import Any, Protocol

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


# The confidentiality trailer for each pad length: pad bytes 1, 2, 3, ... then the pad length.
_AES_TRAILERS = tuple(bytes(range(1, n + 1)) + bytes([n]) for n in range(AES_BLOCK))


def _aes_pad(plaintext: bytes) -> bytes:
    return plaintext + _AES_TRAILERS[(AES_BLOCK - (len(plaintext) + 1) % AES_BLOCK) % AES_BLOCK]


def _check_aes_length(payload: bytes) -> None:
    if len(payload) < 2 * AES_BLOCK or len(payload) % AES_BLOCK:
        raise MalformedPacket("confidentiality.length", f"{len(payload)} bytes is not IV plus whole AES blocks")


def _aes_unpad(padded: bytes) -> bytes:
    pad_length = padded[-1]
    if pad_length >= AES_BLOCK:
        raise MalformedPacket("confidentiality.pad_length", f"{pad_length} is not below {AES_BLOCK}")
    end = len(padded) - 1 - pad_length
    if padded[end:] != _AES_TRAILERS[pad_length]:
        raise MalformedPacket("confidentiality.pad", "pad bytes are not 1, 2, 3, ...")
    return padded[:end]


def aes_encrypt_payload(aes_key: bytes, plaintext: bytes, iv: bytes) -> bytes:
    """AES-CBC-128 confidentiality header (``iv``) plus ciphertext of plaintext + pad 1,2,3.. + pad length."""
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(_aes_pad(plaintext)) + encryptor.finalize()


def aes_decrypt_payload(aes_key: bytes, payload: bytes) -> bytes:
    """Reverse :func:`aes_encrypt_payload`, checking the length and the confidentiality trailer."""
    _check_aes_length(payload)
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(payload[:AES_BLOCK])).decryptor()
    return _aes_unpad(decryptor.update(payload[AES_BLOCK:]) + decryptor.finalize())


class _Hash(Protocol):
    """A ``hashlib`` hash object."""

    @property
    def block_size(self) -> int: ...

    def copy(self) -> _Hash: ...

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


_HMAC_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_HMAC_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def _hmac_states(digest: Callable[..., _Hash], key: bytes) -> tuple[_Hash, _Hash]:
    """HMAC's inner and outer hash states once the padded key is hashed in (RFC 2104), to copy per message."""
    inner, outer = digest(), digest()
    if len(key) > inner.block_size:
        key = digest(key).digest()
    key = key.ljust(inner.block_size, b"\x00")
    inner.update(key.translate(_HMAC_INNER_PAD))
    outer.update(key.translate(_HMAC_OUTER_PAD))
    return inner, outer


class SessionCrypto:
    """The integrity and confidentiality transforms of one RMCP+ session, keyed once.

    Gives the same bytes as :func:`integrity_auth_code`, :func:`aes_encrypt_payload`
    and :func:`aes_decrypt_payload` with the session's suite and keys, but the
    key schedules are computed once per session instead of once per packet: an
    AuthCode costs copies of the HMAC inner and outer hash states with the key
    already hashed in (the construction ``hmac`` uses), and AES-CBC is chained here
    over reusable AES block contexts (``modes.ECB`` on whole blocks is the raw
    block cipher; ``C[i] = E(P[i] xor C[i-1])``, ``P[i] = D(C[i]) xor C[i-1]``,
    ``C[-1]`` the IV), which is CBC exactly.  Keys never appear in ``repr``.
    """

    __slots__ = ("_decrypt_blocks", "_encrypt_blocks", "_inner", "_outer", "auth_code_length", "encrypted")

    def __init__(self, suite: CipherSuite, keys: SessionKeys) -> None:
        self.auth_code_length = integrity_code_length(suite.integrity)
        self.encrypted = suite.confidentiality != ConfidentialityAlgorithm.NONE
        self._inner: _Hash | None = None
        self._outer: _Hash | None = None
        if suite.integrity != IntegrityAlgorithm.NONE:
            if suite.integrity not in _INTEGRITY:
                raise ValueError(f"integrity algorithm {suite.integrity!r} is not implemented")
            self._inner, self._outer = _hmac_states(_INTEGRITY[suite.integrity][0], keys.k1)
        self._encrypt_blocks: Callable[[bytes], bytes] | None = None
        self._decrypt_blocks: Callable[[bytes], bytes] | None = None
        if self.encrypted:
            if suite.confidentiality != ConfidentialityAlgorithm.AES_CBC_128:
                raise ValueError(f"confidentiality algorithm {suite.confidentiality!r} is not implemented")
            blocks = Cipher(algorithms.AES(keys.aes_key), modes.ECB())
            self._encrypt_blocks = blocks.encryptor().update
            self._decrypt_blocks = blocks.decryptor().update

    def __repr__(self) -> str:  # keyed state must never reach logs
        return "SessionCrypto(<redacted>)"

    def auth_code(self, signed: bytes) -> bytes:
        """The integrity AuthCode over ``signed`` (empty when the suite has no integrity algorithm)."""
        inner, outer = self._inner, self._outer
        if inner is None or outer is None:
            return b""
        inner = inner.copy()
        inner.update(signed)
        outer = outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: self.auth_code_length]

    def encrypt(self, plaintext: bytes, iv: bytes) -> bytes:
        """Confidentiality header ``iv`` plus the AES-CBC-128 ciphertext of the padded ``plaintext``."""
        encrypt_block = self._encrypt_blocks
        assert encrypt_block is not None, "the suite has no confidentiality algorithm"
        padded = plaintext + _AES_TRAILERS[(AES_BLOCK - (len(plaintext) + 1) % AES_BLOCK) % AES_BLOCK]
        if len(padded) == AES_BLOCK:  # most replies: one block, no chaining beyond the IV
            block = (int.from_bytes(padded, "big") ^ int.from_bytes(iv, "big")).to_bytes(AES_BLOCK, "big")
            return iv + encrypt_block(block)
        out = [iv]
        chained = int.from_bytes(iv, "big")
        for offset in range(0, len(padded), AES_BLOCK):
            block = encrypt_block(
                (int.from_bytes(padded[offset : offset + AES_BLOCK], "big") ^ chained).to_bytes(AES_BLOCK, "big")
            )
            out.append(block)
            chained = int.from_bytes(block, "big")
        return b"".join(out)

    def decrypt(self, payload: bytes) -> bytes:
        """The plaintext of a confidentiality header plus ciphertext, checking the length and the trailer."""
        decrypt_blocks = self._decrypt_blocks
        assert decrypt_blocks is not None, "the suite has no confidentiality algorithm"
        length = len(payload) - AES_BLOCK
        if length < AES_BLOCK or length % AES_BLOCK:
            _check_aes_length(payload)  # raises, naming the field
        decrypted = decrypt_blocks(payload[AES_BLOCK:])
        chained = int.from_bytes(payload[:length], "big")  # IV then every ciphertext block but the last
        padded = (int.from_bytes(decrypted, "big") ^ chained).to_bytes(length, "big")
        pad_length = padded[-1]
        end = length - 1 - pad_length
        if pad_length >= AES_BLOCK or padded[end:] != _AES_TRAILERS[pad_length]:
            return _aes_unpad(padded)  # raises, naming the field
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
