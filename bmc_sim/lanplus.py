"""RMCP+ in-session packets: verify and open what the console sends, sign and seal what the BMC sends back.

The counterpart of :mod:`bmc_sim.lan15` for IPMI 2.0 sessions.  Integrity is
checked before the sequence number so forged packets cannot move the replay
window; a session that negotiated a confidentiality algorithm only accepts
encrypted payloads and an integrity algorithm only signed ones.
"""

from __future__ import annotations

import functools
import hmac

from bmc_sim.crypto import (
    ConfidentialityAlgorithm,
    IntegrityAlgorithm,
    aes_decrypt_payload,
    aes_encrypt_payload,
    integrity_auth_code,
    integrity_code_length,
)
from bmc_sim.session_table import Session
from bmc_sim.wire import PayloadType, RmcpClass, RmcpPlusPacket, encode_rmcp, encode_rmcpplus, split_integrity_trailer


def open_packet(session: Session, body: bytes, packet: RmcpPlusPacket) -> bytes | str:
    """The plaintext payload of an in-session packet, or why it must be dropped.

    The reason is ``"bad-integrity"`` (missing, unexpected or wrong AuthCode),
    ``"unencrypted"`` (plaintext in an encrypted session) or ``"replayed"``.
    A malformed trailer or confidentiality pad raises ``MalformedPacket``.
    """
    suite, keys = session.suite, session.keys
    assert suite is not None and keys is not None, "only active RMCP+ sessions carry packets"
    if suite.integrity != IntegrityAlgorithm.NONE:
        if not packet.authenticated:
            return "bad-integrity"
        length = integrity_code_length(suite.integrity)
        signed, code = split_integrity_trailer(body, packet.payload_end, length)
        if not hmac.compare_digest(code, integrity_auth_code(suite.integrity, keys.k1, signed)):
            return "bad-integrity"
    elif packet.authenticated:
        return "bad-integrity"
    encrypted_session = suite.confidentiality != ConfidentialityAlgorithm.NONE
    if packet.encrypted != encrypted_session:
        return "unencrypted" if encrypted_session else "bad-integrity"
    if not session.inbound.accept(packet.sequence):
        return "replayed"
    return aes_decrypt_payload(keys.aes_key, packet.payload) if packet.encrypted else packet.payload


def frame(session: Session, message: bytes, iv: bytes) -> bytes:
    """A reply datagram carrying ``message`` in ``session``: encrypted with ``iv`` and signed as negotiated."""
    suite, keys = session.suite, session.keys
    assert suite is not None and keys is not None, "only active RMCP+ sessions carry packets"
    payload = message
    encrypted = suite.confidentiality != ConfidentialityAlgorithm.NONE
    if encrypted:
        payload = aes_encrypt_payload(keys.aes_key, message, iv)
    integrity = None
    if suite.integrity != IntegrityAlgorithm.NONE:
        integrity = functools.partial(integrity_auth_code, suite.integrity, keys.k1)
    sequence = session.next_outbound_sequence()
    body = encode_rmcpplus(
        PayloadType.IPMI, session.console_session_id, sequence, payload, encrypted=encrypted, integrity=integrity
    )
    return encode_rmcp(RmcpClass.IPMI, body)
