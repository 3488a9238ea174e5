"""RMCP+ in-session packets: verify and open what the console sends, sign and seal what the BMC sends back.

The counterpart of :mod:`bmc_sim.lan15` for IPMI 2.0 sessions.  Integrity is
checked before the sequence number so forged packets cannot move the replay
window; a session that negotiated a confidentiality algorithm only accepts
encrypted payloads and an integrity algorithm only signed ones.  The keyed
transforms come from the session's :class:`~bmc_sim.crypto.SessionCrypto`,
built once per session.
"""

from __future__ import annotations

import hmac

from bmc_sim.session_table import Session
from bmc_sim.wire import PayloadType, RmcpClass, RmcpPlusPacket, encode_rmcp, encode_rmcpplus, split_integrity_trailer


def open_packet(session: Session, body: bytes, packet: RmcpPlusPacket, encrypted: bool | None = None) -> bytes | str:
    """The plaintext payload of an in-session packet, or why it must be dropped.

    The reason is ``"bad-integrity"`` (missing, unexpected or wrong AuthCode),
    ``"unencrypted"`` (plaintext in an encrypted session) or ``"replayed"``.
    A malformed trailer or confidentiality pad raises ``MalformedPacket``.
    ``encrypted`` overrides whether the payload must be encrypted (an SOL
    payload activated without encryption in an encrypted session).
    """
    crypto = session.crypto
    length = crypto.auth_code_length
    if length:
        if not packet.authenticated:
            return "bad-integrity"
        signed, code = split_integrity_trailer(body, packet.payload_end, length)
        if not hmac.compare_digest(code, crypto.auth_code(signed)):
            return "bad-integrity"
    elif packet.authenticated:
        return "bad-integrity"
    expected = crypto.encrypted if encrypted is None else encrypted and crypto.encrypted
    if packet.encrypted != expected:
        return "unencrypted" if expected else "bad-integrity"
    if not session.inbound.accept(packet.sequence):
        return "replayed"
    return crypto.decrypt(packet.payload) if packet.encrypted else packet.payload


def frame(
    session: Session,
    message: bytes,
    iv: bytes,
    *,
    payload_type: PayloadType = PayloadType.IPMI,
    encrypted: bool | None = None,
) -> bytes:
    """A datagram carrying ``message`` in ``session``: encrypted with ``iv`` and signed as negotiated.

    ``encrypted=False`` sends it in the clear in an encrypted session (an SOL payload activated so).
    """
    crypto = session.crypto
    encrypted = crypto.encrypted if encrypted is None else encrypted and crypto.encrypted
    body = encode_rmcpplus(
        payload_type,
        session.console_session_id,
        session.next_outbound_sequence(),
        crypto.encrypt(message, iv) if encrypted else message,
        encrypted=encrypted,
        integrity=crypto.auth_code if crypto.auth_code_length else None,
    )
    return encode_rmcp(RmcpClass.IPMI, body)
