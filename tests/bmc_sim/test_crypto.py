"""bmc_sim.crypto against the IPMI 2.0 formulas and against FreeIPMI's own implementation (libfreeipmi)."""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bmc_sim import crypto, wire
from bmc_sim.crypto import AuthAlgorithm, IntegrityAlgorithm
from bmc_sim.wire import MalformedPacket

RM = bytes(range(0x10, 0x20))
RC = bytes(range(0xA0, 0xB0))
GUID = bytes(range(0x30, 0x40))
KUID = b"admin".ljust(20, b"\x00")
ROLE = 0x14  # administrator, name-only lookup
HASHES = {AuthAlgorithm.RAKP_HMAC_SHA1: hashlib.sha1, AuthAlgorithm.RAKP_HMAC_SHA256: hashlib.sha256}


def test_cipher_suite_table_matches_ipmi_table_22_20() -> None:
    table = {
        suite_id: (int(s.auth), int(s.integrity), int(s.confidentiality))
        for suite_id, s in crypto.CIPHER_SUITES.items()
    }
    assert table[0] == (0, 0, 0)
    assert table[1] == (1, 0, 0)
    assert table[2] == (1, 1, 0)
    assert table[3] == (1, 1, 1)
    assert table[17] == (3, 4, 1)


def test_enabled_suites_keeps_order_and_drops_unknown_and_duplicates() -> None:
    assert [s.suite_id for s in crypto.enabled_suites((17, 3, 99, 3, 8, 0))] == [17, 3, 0]


@pytest.mark.parametrize("auth", list(HASHES))
def test_rakp_codes_follow_the_spec_formulas(auth: AuthAlgorithm) -> None:
    """RAKP 2/3 codes, SIK, K1/K2 and the RAKP 4 ICV equal HMACs built by hand from IPMI 2.0 section 13.31."""
    digest = HASHES[auth]
    name_part = bytes([ROLE, 5]) + b"admin"
    rakp2 = hmac.new(KUID, struct.pack("<II", 0x11, 0x22) + RM + RC + GUID + name_part, digest).digest()
    assert (
        crypto.rakp2_auth_code(
            auth,
            KUID,
            console_session_id=0x11,
            bmc_session_id=0x22,
            console_random=RM,
            bmc_random=RC,
            guid=GUID,
            role=ROLE,
            username=b"admin",
        )
        == rakp2
    )
    rakp3 = hmac.new(KUID, RC + struct.pack("<I", 0x11) + name_part, digest).digest()
    assert (
        crypto.rakp3_auth_code(auth, KUID, bmc_random=RC, console_session_id=0x11, role=ROLE, username=b"admin")
        == rakp3
    )
    sik = hmac.new(KUID, RM + RC + name_part, digest).digest()
    assert (
        crypto.session_integrity_key(auth, KUID, console_random=RM, bmc_random=RC, role=ROLE, username=b"admin") == sik
    )
    keys = crypto.derive_session_keys(auth, sik)
    assert keys.k1 == hmac.new(sik, b"\x01" * 20, digest).digest()
    assert keys.k2 == hmac.new(sik, b"\x02" * 20, digest).digest()
    assert keys.aes_key == keys.k2[:16]
    icv = hmac.new(sik, RM + struct.pack("<I", 0x22) + GUID, digest).digest()
    expected_length = 12 if auth == AuthAlgorithm.RAKP_HMAC_SHA1 else 16
    assert (
        crypto.rakp4_integrity_check_value(auth, sik, console_random=RM, bmc_session_id=0x22, guid=GUID)
        == icv[:expected_length]
    )


def test_rakp_none_has_no_codes_and_constant_keys() -> None:
    none = AuthAlgorithm.RAKP_NONE
    assert crypto.rakp3_auth_code(none, KUID, bmc_random=RC, console_session_id=1, role=ROLE, username=b"a") == b""
    assert crypto.rakp4_integrity_check_value(none, b"", console_random=RM, bmc_session_id=1, guid=GUID) == b""
    keys = crypto.derive_session_keys(none, b"")
    assert (keys.k1, keys.k2) == (b"\x01" * 20, b"\x02" * 20)


def test_session_keys_never_show_in_repr() -> None:
    keys = crypto.derive_session_keys(AuthAlgorithm.RAKP_HMAC_SHA1, b"secret-sik")
    assert "redacted" in repr(keys) and keys.k1.hex() not in repr(keys)


# --------------------------------------------------------------------------- FreeIPMI cross-check


@pytest.fixture(scope="module")
def libfreeipmi() -> Iterator[ctypes.CDLL]:
    """FreeIPMI's library (installed with freeipmi-tools), initialised for its RMCP+ helpers."""
    lib = ctypes.CDLL("libfreeipmi.so.17")
    assert lib.ipmi_rmcpplus_init() == 0
    u8, uint, ptr, text = ctypes.c_uint8, ctypes.c_uint, ctypes.c_void_p, ctypes.c_char_p
    lib.ipmi_calculate_sik.argtypes = [u8, ptr, uint, ptr, uint, ptr, uint, u8, u8, text, uint, ptr, uint]
    lib.ipmi_calculate_k1.argtypes = [u8, ptr, uint, ptr, uint]
    lib.ipmi_calculate_k2.argtypes = [u8, ptr, uint, ptr, uint]
    lib.ipmi_calculate_rakp_3_key_exchange_authentication_code.argtypes = [
        u8, ptr, uint, ptr, uint, ctypes.c_uint32, u8, u8, text, uint, ptr, uint,
    ]  # fmt: skip
    lib.ipmi_lan_check_packet_session_authentication_code.argtypes = [ptr, uint, u8, ptr, uint]
    yield lib


def _call(function: object, *args: object) -> bytes:
    out = ctypes.create_string_buffer(64)
    length = function(*args, out, 64)  # type: ignore[operator]
    assert length > 0, "libfreeipmi refused the arguments"
    return out.raw[:length]


@pytest.mark.parametrize("auth", list(HASHES))
def test_keys_match_libfreeipmi(libfreeipmi: ctypes.CDLL, auth: AuthAlgorithm) -> None:
    """SIK, K1, K2 and the RAKP 3 code agree with FreeIPMI's implementation for SHA1 and SHA256."""
    sik = _call(libfreeipmi.ipmi_calculate_sik, auth, KUID, 20, RM, 16, RC, 16, 1, 4, b"admin", 5)
    assert (
        crypto.session_integrity_key(auth, KUID, console_random=RM, bmc_random=RC, role=ROLE, username=b"admin") == sik
    )
    keys = crypto.derive_session_keys(auth, sik)
    assert _call(libfreeipmi.ipmi_calculate_k1, auth, sik, len(sik)) == keys.k1
    assert _call(libfreeipmi.ipmi_calculate_k2, auth, sik, len(sik)) == keys.k2
    rakp3 = _call(
        libfreeipmi.ipmi_calculate_rakp_3_key_exchange_authentication_code,
        auth,
        KUID,
        20,
        RC,
        16,
        0x11,
        1,
        4,
        b"admin",
        5,
    )
    assert (
        crypto.rakp3_auth_code(auth, KUID, bmc_random=RC, console_session_id=0x11, role=ROLE, username=b"admin")
        == rakp3
    )


def test_md5_auth_code_15_is_accepted_by_libfreeipmi(libfreeipmi: ctypes.CDLL) -> None:
    """An IPMI 1.5 MD5-signed packet with our auth code passes FreeIPMI's check, and fails it with another password."""
    message = bytes.fromhex("2018c88104017a")
    code = crypto.auth_code_15(2, b"admin", session_id=0x0A0B0C0D, message=message, sequence=5)
    expected = hashlib.md5(KUID[:16] + struct.pack("<I", 0x0A0B0C0D) + message + struct.pack("<I", 5) + KUID[:16])
    assert code == expected.digest()
    header = wire.Session15Header(2, 5, 0x0A0B0C0D, code)
    packet = wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_session15(header, message))
    check = libfreeipmi.ipmi_lan_check_packet_session_authentication_code
    assert check(packet, len(packet), 2, b"admin", 5) == 1
    assert check(packet, len(packet), 2, b"wrong", 5) == 0


def test_auth_code_15_straight_password_and_none() -> None:
    assert crypto.auth_code_15(4, b"admin", session_id=1, message=b"m", sequence=1) == KUID[:16]
    assert crypto.auth_code_15(0, b"admin", session_id=1, message=b"m", sequence=1) == b""
    with pytest.raises(ValueError, match="not implemented"):
        crypto.auth_code_15(1, b"admin", session_id=1, message=b"m", sequence=1)


# --------------------------------------------------------------------------- integrity and confidentiality


@pytest.mark.parametrize(
    ("algorithm", "digest", "length"),
    [(IntegrityAlgorithm.HMAC_SHA1_96, hashlib.sha1, 12), (IntegrityAlgorithm.HMAC_SHA256_128, hashlib.sha256, 16)],
)
def test_integrity_codes_are_truncated_hmacs(
    algorithm: IntegrityAlgorithm, digest: Callable[[], Any], length: int
) -> None:
    k1 = b"k" * 20
    code = crypto.integrity_auth_code(algorithm, k1, b"signed bytes")
    assert crypto.integrity_code_length(algorithm) == length
    assert code == hmac.new(k1, b"signed bytes", digest).digest()[:length]
    assert crypto.integrity_auth_code(IntegrityAlgorithm.NONE, k1, b"x") == b""
    with pytest.raises(ValueError):
        crypto.integrity_auth_code(IntegrityAlgorithm.MD5_128, k1, b"x")


@pytest.mark.parametrize("length", [0, 1, 14, 15, 16, 17, 31, 40])
def test_aes_confidentiality_header_and_trailer(length: int) -> None:
    """IV first, then AES-CBC of the payload + pad 1,2,3.. + pad length (IPMI 2.0 section 13.29)."""
    key, iv, plaintext = b"K" * 16, bytes(range(16)), bytes(range(100, 100 + length))
    payload = crypto.aes_encrypt_payload(key, plaintext, iv)
    assert payload[:16] == iv and len(payload) % 16 == 0
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(payload[16:]) + decryptor.finalize()
    pad = padded[-1]
    assert pad < 16 and padded[length:-1] == bytes(range(1, pad + 1)) and padded[:length] == plaintext
    assert crypto.aes_decrypt_payload(key, payload) == plaintext


def _encrypt_raw(key: bytes, padded: bytes) -> bytes:
    iv = b"\x00" * 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"\x00" * 24, "confidentiality.length"),
        (b"\x00" * 16, "confidentiality.length"),
        (_encrypt_raw(b"K" * 16, b"A" * 15 + b"\x10"), "confidentiality.pad_length"),
        (_encrypt_raw(b"K" * 16, b"A" * 12 + b"\x01\x03\x03\x03"), "confidentiality.pad"),
    ],
)
def test_aes_decrypt_errors(payload: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        crypto.aes_decrypt_payload(b"K" * 16, payload)
    assert caught.value.field == field


def test_iv_pool_hands_out_each_drawn_byte_once_and_draws_in_bulk() -> None:
    from bmc_sim.crypto import AES_BLOCK
    from bmc_sim.ivpool import IvPool

    draws: list[int] = []
    counter = iter(range(1_000_000))

    def source(n: int) -> bytes:
        draws.append(n)
        return bytes(next(counter) % 256 for _ in range(n))

    pool = IvPool(source)
    ivs = [pool.take() for _ in range(600)]
    assert all(len(iv) == AES_BLOCK for iv in ivs)
    assert draws == [IvPool.SIZE] * 3  # 256 IVs per draw: 600 IVs take three draws
    assert b"".join(ivs) == bytes(i % 256 for i in range(600 * AES_BLOCK))  # nothing skipped, nothing twice
