"""pdu_sim: switched PDUs (ServerTech Sentry3, APC PowerNet, Sinetica/Panduit HAWK-I2) served over SNMP.

:class:`Pdu` holds outlet state (no sockets); ``Pdu.source`` is its MIB for an
:class:`snmp_agent.SnmpAgent`.  ``python -m pdu_sim`` runs one PDU standalone.
"""

from .device import Outlet, OutletListener, Pdu, PduError
from .models import MODELS, get_model

__all__ = ["MODELS", "Outlet", "OutletListener", "Pdu", "PduError", "get_model"]
