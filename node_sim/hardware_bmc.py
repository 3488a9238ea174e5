"""The node's BMC configured from the same personality and identity as its catalogs.

``lan print`` (BMC IP and MAC), ``fru`` (serials) and ``dmidecode`` (system
serial and UUID) must agree for RackHD to tie a BMC to its node; building the
:class:`~bmc_sim.config.BmcConfig` here keeps that in one place.
"""

from __future__ import annotations

from typing import Any

from bmc_sim.config import BmcConfig, LanConfig, UserConfig
from bmc_sim.models import build_config
from node_sim.hardware import Hardware
from node_sim.hardware_identity import NodeIdentity


def bmc_config(
    hardware: Hardware,
    identity: NodeIdentity,
    users: tuple[UserConfig, ...],
    *,
    netmask: str = "255.255.255.0",
    gateway: str = "0.0.0.0",
    **overrides: Any,
) -> BmcConfig:
    """A BmcConfig of model ``hardware.bmc_model`` carrying ``identity``'s serials, GUID, IP and MAC.

    Other keyword arguments go to :func:`bmc_sim.models.build_config`
    (``cipher_suites``, ``boot_time``, ``initial_power_on``, ...).
    """
    return build_config(
        hardware.bmc_model,
        name=f"{identity.name}-bmc",
        lan=LanConfig(identity.bmc_ip, identity.bmc_mac, netmask=netmask, gateway=gateway),
        users=users,
        system_serial=identity.system_serial,
        board_serial=identity.board,
        chassis_serial=identity.chassis,
        asset_tag=identity.asset_tag,
        system_guid=identity.system_uuid,
        **overrides,
    )
