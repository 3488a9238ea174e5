"""The optional parts of a BMC device are declared roles; the session layer uses only what a device declares."""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet.task import Clock

from bmc_sim.config import LanConfig, UserConfig
from bmc_sim.device import Bmc
from bmc_sim.device_roles import NoSerialPort, is_restartable, is_serial_port, sends_alerts
from bmc_sim.models import build_config
from bmc_sim.session import BmcEndpoint
from tests.bmc_sim.ipmi_testkit import DeviceDouble, make_config


def _bmc() -> Bmc:
    lan = LanConfig(ip_address="127.21.9.2", mac_address="02:00:00:00:00:02")
    return Bmc(build_config("generic", name="roles", lan=lan, users=(UserConfig(2, "admin", "admin"),)), Clock())


def test_the_bmc_plays_every_role_and_its_endpoint_wires_them() -> None:
    bmc = _bmc()
    assert is_serial_port(bmc) and sends_alerts(bmc) and is_restartable(bmc)
    endpoint = BmcEndpoint(bmc, Clock())
    assert endpoint.sol.device is bmc  # SOL carries the BMC's own serial port
    assert bmc.alerts.send is not None  # PETs leave from the endpoint's socket


def test_a_device_without_the_roles_gets_a_serial_port_with_nothing_attached() -> None:
    double = DeviceDouble(make_config())
    assert not (is_serial_port(double) or sends_alerts(double) or is_restartable(double))
    endpoint = BmcEndpoint(double, Clock())
    assert isinstance(endpoint.sol.device, NoSerialPort) and endpoint.sol.device.console is None


def test_a_double_that_declares_restarts_is_told_about_by_its_endpoint() -> None:
    class RestartingDouble(DeviceDouble):
        def __init__(self) -> None:
            super().__init__(make_config())
            self.listeners: list[Callable[[str], None]] = []

        def add_reset_listener(self, fn: Callable[[str], None]) -> None:
            self.listeners.append(fn)

    double = RestartingDouble()
    assert is_restartable(double) and not is_serial_port(double)
    endpoint = BmcEndpoint(double, Clock())
    assert len(double.listeners) == 1
    double.listeners[0]("cold")
    assert endpoint.stats.sessions_expired == 0  # no session was open; the sweep ran without error
