"""A BMC that restarts forgets its sessions, as real BMCs do."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from bmc_sim.config import LanConfig, UserConfig
from bmc_sim.device import Bmc
from bmc_sim.models import build_config
from bmc_sim.session import BmcEndpoint
from tests.bmc_sim.ipmi_testkit.client import LanplusClient, NoReply


def _rig() -> tuple[Bmc, BmcEndpoint, Clock]:
    config = build_config(
        "generic",
        name="reset-test",
        lan=LanConfig(ip_address="127.21.9.1", mac_address="02:00:00:00:00:01"),
        users=(UserConfig(2, "admin", "admin"),),
        boot_time=0.0,
        mc_reset_time=1.0,
    )
    clock = Clock()
    bmc = Bmc(config, clock)
    return bmc, BmcEndpoint(bmc, clock), clock


@pytest.mark.parametrize("restart", ["mc-reset", "ac-loss"])
def test_restart_drops_every_session(restart: str) -> None:
    """After mc reset or AC loss and the BMC's return, an old session's requests get no answer."""
    bmc, endpoint, clock = _rig()
    client = LanplusClient(lambda data: endpoint.datagram_received(data, ("127.0.0.1", 40000)), b"admin", b"admin")
    client.login()
    assert client.command(0x00, 0x01)[0] == 0
    if restart == "mc-reset":
        bmc.mc_reset("cold")
    else:
        bmc.set_ac_power(False)
        bmc.set_ac_power(True)
    clock.advance(5)
    assert bmc.responsive
    assert endpoint.sessions.active_count() == 0
    with pytest.raises(NoReply):
        client.command(0x00, 0x01)
