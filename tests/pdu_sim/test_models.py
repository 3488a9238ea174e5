"""In-memory tests of the vendor personalities: their MIBs driven through the agent's controller."""

from __future__ import annotations

import pytest
from pysnmp.proto import rfc1902, rfc1905
from twisted.internet.task import Clock

from pdu_sim import MODELS, Pdu
from pdu_sim.models.servertech_sentry3 import CONTROL_STATES
from pdu_sim.models.sinetica_hawk_i2 import locate
from snmp_agent.config import SnmpRecord
from snmp_agent.controller import DeviceController, Outcome, Principal
from snmp_agent.source import Value, parse_oid

RW = Principal("private", "rw", "v2c")
RO = Principal("public", "ro", "v2c")
SENTRY_ACTION = "1.3.6.1.4.1.1718.3.2.3.1.11.1.1.{}"
SENTRY_STATE = "1.3.6.1.4.1.1718.3.2.3.1.10.1.1.{}"
APC_CTL = "1.3.6.1.4.1.318.1.1.4.4.2.1.3.{}"
APC_R_CONTROL = "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.{}"
APC_R_STATUS = "1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.{}"
HAWK_ON = "1.3.6.1.4.1.3711.24.1.1.7.2.3.1.5.{}.{}"
HAWK_PWD = "1.3.6.1.4.1.3711.24.1.1.7.2.3.1.6.{}.{}"
HAWK_MON = "1.3.6.1.4.1.3711.24.1.1.7.3.1.1.{}.{}"


class Harness:
    def __init__(self, model: str, outlets: int = 16, **kw: object) -> None:
        self.clock = Clock()
        self.clock.advance(100.0)
        self.pdu = Pdu(model, name="pdu-t", outlets=outlets, clock=self.clock, **kw)  # type: ignore[arg-type]
        self.records: list[SnmpRecord] = []
        self.ctl = DeviceController(self.pdu.source, name="pdu-t", clock=self.clock, observer=self.records.append)

    def get(self, oid: str) -> Value:
        ((_, value),) = self.ctl.get([(parse_oid(oid), None)], RO).varbinds
        return value

    def set(self, oid: str, value: object, who: Principal = RW) -> Outcome:
        return self.ctl.set([(parse_oid(oid), value)], who)


def walk(h: Harness) -> list[tuple[int, ...]]:
    oids: list[tuple[int, ...]] = []
    cursor: tuple[int, ...] = (1,)
    while True:
        ((cursor, value),) = h.ctl.get_next([(cursor, None)], RO).varbinds
        if value is rfc1905.endOfMibView:
            return oids
        oids.append(cursor)


@pytest.mark.parametrize(
    ("model", "descr", "object_id"),
    [
        ("servertech-sentry3", "Sentry Switched CDU", "1.3.6.1.4.1.1718.3"),
        (
            "apc-powernet",
            "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.4.6 PN:apc_hw05_aos_",
            "1.3.6.1.4.1.318.1.3.4.5",
        ),
        (
            "sinetica-hawk-i2",
            "Sinetica Eagle-i. Versions: App. 1.10.18, OS 6.3, Btldr 1.10.18, H/w ZBHIEIBB-01 v1.02.02",
            "1.3.6.1.4.1.3711.24",
        ),
    ],
)
def test_identity_and_walkable_tree(model: str, descr: str, object_id: str) -> None:
    """sysDescr/sysObjectID identify the vendor, and GETNEXT from 1 walks the whole table in order."""
    h = Harness(model)
    assert str(h.get("1.3.6.1.2.1.1.1.0")).startswith(descr)
    assert str(h.get("1.3.6.1.2.1.1.2.0")) == object_id
    assert walk(h) == h.pdu.source.oids()  # type: ignore[attr-defined]


def test_every_model_is_registered_with_aliases() -> None:
    """The registry holds the three vendors; aliases resolve."""
    assert sorted(MODELS) == ["apc-powernet", "servertech-sentry3", "sinetica-hawk-i2"]
    clock = Clock()
    assert Pdu("servertech", name="a", outlets=1, clock=clock).model == "servertech-sentry3"
    assert Pdu("panduit", name="b", outlets=1, clock=clock).model == "sinetica-hawk-i2"


def test_sentry3_off_on_reboot_states() -> None:
    """outletControlAction 2/1/3 drive outletControlState to off 4, on 5, reboot 8 then on 5."""
    h = Harness("servertech-sentry3")
    assert int(h.get(SENTRY_STATE.format(7))) == CONTROL_STATES["on"] == 5
    assert h.set(SENTRY_ACTION.format(7), rfc1902.Integer32(2)).error_status == "noError"
    assert int(h.get(SENTRY_STATE.format(7))) == CONTROL_STATES["off"] == 4
    assert not h.pdu.outlet_state(7)
    h.set(SENTRY_ACTION.format(7), rfc1902.Integer32(1))
    assert int(h.get(SENTRY_STATE.format(7))) == 5
    h.set(SENTRY_ACTION.format(7), rfc1902.Integer32(3))
    assert int(h.get(SENTRY_STATE.format(7))) == CONTROL_STATES["reboot"] == 8
    h.clock.advance(5.0)
    assert int(h.get(SENTRY_STATE.format(7))) == 5
    assert int(h.get(SENTRY_ACTION.format(7))) == 0  # the action reads back none(0)


def test_sentry3_pending_states_with_switch_delay() -> None:
    """With a switch delay, off reads pendOff 11 until it happens; on reads pendOn 10."""
    h = Harness("servertech-sentry3", options={"switch_delay": 3.0})
    h.set(SENTRY_ACTION.format(1), rfc1902.Integer32(2))
    assert int(h.get(SENTRY_STATE.format(1))) == CONTROL_STATES["pendOff"] == 11
    h.clock.advance(3.0)
    assert int(h.get(SENTRY_STATE.format(1))) == 4
    h.set(SENTRY_ACTION.format(1), rfc1902.Integer32(1))
    assert int(h.get(SENTRY_STATE.format(1))) == CONTROL_STATES["pendOn"] == 10


def test_sentry3_bad_action_values() -> None:
    """Values outside none/on/off/reboot are wrongValue; a string is wrongType; nothing changes."""
    h = Harness("servertech-sentry3")
    assert h.set(SENTRY_ACTION.format(2), rfc1902.Integer32(4)).error_status == "wrongValue"
    assert h.set(SENTRY_ACTION.format(2), rfc1902.OctetString("off")).error_status == "wrongType"
    assert h.set(SENTRY_STATE.format(2), rfc1902.Integer32(4)).error_status == "notWritable"
    assert h.pdu.outlet_state(2)


def test_sentry3_load_follows_attached_node() -> None:
    """outletLoadValue (hundredths of A), outletPower (W) and infeed totals follow set_outlet_load."""
    h = Harness("servertech-sentry3")
    h.pdu.set_outlet_load(3, 218.5)
    amps = 218.5 / (230 * 0.95)
    assert int(h.get("1.3.6.1.4.1.1718.3.2.3.1.7.1.1.3")) == round(amps * 100)
    assert int(h.get("1.3.6.1.4.1.1718.3.2.3.1.14.1.1.3")) == 218
    assert int(h.get("1.3.6.1.4.1.1718.3.2.2.1.12.1.1")) == 218
    h.set(SENTRY_ACTION.format(3), rfc1902.Integer32(2))
    assert int(h.get("1.3.6.1.4.1.1718.3.2.3.1.7.1.1.3")) == 0
    assert int(h.get("1.3.6.1.4.1.1718.3.2.3.1.14.1.1.3")) == 0


def test_sentry3_outlet_name_is_writable() -> None:
    """outletName can be set by a rw community and reads back."""
    h = Harness("servertech-sentry3", outlet_names={1: "node01"})
    assert str(h.get("1.3.6.1.4.1.1718.3.2.3.1.3.1.1.1")) == "node01"
    h.set("1.3.6.1.4.1.1718.3.2.3.1.3.1.1.1", rfc1902.OctetString("node01-psu1"))
    assert h.pdu.outlet(1).name == "node01-psu1"


def test_apc_spdu_outlet_ctl() -> None:
    """sPDUOutletCtl: SET 2 turns off and GET reports outletOff 2; reboot reads off then on."""
    h = Harness("apc-powernet", outlets=8)
    assert int(h.get(APC_CTL.format(4))) == 1
    h.set(APC_CTL.format(4), rfc1902.Integer32(2))
    assert int(h.get(APC_CTL.format(4))) == 2 and not h.pdu.outlet_state(4)
    h.set(APC_CTL.format(4), rfc1902.Integer32(3))
    assert int(h.get(APC_CTL.format(4))) == 2
    assert int(h.get("1.3.6.1.4.1.318.1.1.4.4.2.1.2.4")) == 1  # sPDUOutletPending commandPending
    h.clock.advance(5.0)
    assert int(h.get(APC_CTL.format(4))) == 1
    assert h.set(APC_CTL.format(4), rfc1902.Integer32(4)).error_status == "wrongValue"


def test_apc_rpdu_tables_share_the_outlet() -> None:
    """rPDUOutletControl immediateOff shows in rPDUOutletStatus and sPDUOutletCtl."""
    h = Harness("apc-powernet", outlets=8)
    h.set(APC_R_CONTROL.format(6), rfc1902.Integer32(2))
    assert [int(h.get(APC_R_STATUS.format(6))), int(h.get(APC_CTL.format(6))), int(h.get(APC_R_CONTROL.format(6)))] == [
        2,
        2,
        2,
    ]
    h.set(APC_R_CONTROL.format(6), rfc1902.Integer32(1))
    assert int(h.get(APC_R_STATUS.format(6))) == 1
    assert int(h.get("1.3.6.1.4.1.318.1.1.4.4.1.0")) == 8


def test_hawk_index_mapping() -> None:
    """Device outlet n is outlet (n-1)%24+1 of HAWK PDU (n-1)//24+1, pduId = 3p-2."""
    assert [locate(1), locate(24), locate(25), locate(49)] == [(1, 1, 1), (1, 1, 24), (2, 4, 1), (3, 7, 1)]


def test_hawk_needs_the_password_first() -> None:
    """pduOutOn without a prior pduOutPwd is inconsistentValue; with the right password it works."""
    h = Harness("sinetica-hawk-i2", outlets=30)
    assert h.set(HAWK_ON.format(1, 5), rfc1902.Integer32(2)).error_status == "inconsistentValue"
    assert h.pdu.outlet_state(5)
    assert h.set(HAWK_PWD.format(1, 5), rfc1902.OctetString("A05")).error_status == "noError"
    assert h.set(HAWK_ON.format(1, 5), rfc1902.Integer32(2)).error_status == "noError"
    assert not h.pdu.outlet_state(5) and int(h.get(HAWK_ON.format(1, 5))) == 2
    # second HAWK PDU (pduId 4): device outlet 27 is its outlet 3, default password A03
    assert h.set(HAWK_PWD.format(4, 3), rfc1902.OctetString("A03")).error_status == "noError"
    h.set(HAWK_ON.format(4, 3), rfc1902.Integer32(3))
    assert int(h.get(HAWK_ON.format(4, 3))) == 3 and not h.pdu.outlet_state(27)
    h.clock.advance(5.0)
    assert int(h.get(HAWK_ON.format(4, 3))) == 1 and h.pdu.outlet_state(27)


def test_hawk_wrong_password_is_refused_and_closes_the_window() -> None:
    """A wrong password is wrongValue, and a window opened before is closed by it."""
    h = Harness("sinetica-hawk-i2", outlets=8, options={"password": "s3cret"})
    assert h.set(HAWK_PWD.format(1, 2), rfc1902.OctetString("A02")).error_status == "wrongValue"
    h.set(HAWK_PWD.format(1, 2), rfc1902.OctetString("s3cret"))
    h.set(HAWK_PWD.format(1, 2), rfc1902.OctetString("guess"))
    assert h.set(HAWK_ON.format(1, 2), rfc1902.Integer32(2)).error_status == "inconsistentValue"
    assert all("s3cret" not in repr(r) and "guess" not in repr(r) for r in h.records)


def test_hawk_password_window_expires_after_300_seconds() -> None:
    """The password is good for 300 s of clock time, per outlet."""
    h = Harness("sinetica-hawk-i2", outlets=8)
    h.set(HAWK_PWD.format(1, 1), rfc1902.OctetString("A01"))
    h.clock.advance(299.9)
    assert h.set(HAWK_ON.format(1, 1), rfc1902.Integer32(2)).error_status == "noError"
    assert h.set(HAWK_ON.format(1, 2), rfc1902.Integer32(2)).error_status == "inconsistentValue"
    h.clock.advance(0.1)
    assert h.set(HAWK_ON.format(1, 1), rfc1902.Integer32(1)).error_status == "inconsistentValue"


def test_hawk_power_tables_use_rackhd_scale_factors() -> None:
    """pduMonTable rows for each HAWK PDU plus 99 (aggregate); amps x0.1, kW x0.1, volts x1, Hz x0.1."""
    h = Harness("sinetica-hawk-i2", outlets=30)
    h.pdu.set_outlet_load(1, 2185.0)  # 10 A at 230 V / PF 0.95
    h.pdu.set_outlet_load(26, 1092.5)  # 5 A, on HAWK PDU 2
    assert int(h.get(HAWK_MON.format(4, 1))) == 10 * 10
    assert int(h.get(HAWK_MON.format(4, 4))) == 5 * 10
    assert int(h.get(HAWK_MON.format(4, 99))) == 15 * 10
    assert int(h.get(HAWK_MON.format(7, 99))) == round(3277.5 / 100)
    assert int(h.get(HAWK_MON.format(3, 1))) == 230
    assert int(h.get(HAWK_MON.format(9, 1))) == 500
    assert int(h.get("1.3.6.1.4.1.3711.24.1.1.7.2.3.1.9.1.1")) == 100  # pduOutRMSAmpsValue
    names = [str(h.get(f"1.3.6.1.4.1.3711.24.1.1.7.1.2.1.3.{i}")) for i in (1, 4)]
    assert names == ["PDU_1", "PDU_2"]


def test_hawk_sensor_tables_present() -> None:
    """ipTHATable (temperature, humidity) and ipContTable rows are served for the sensor poller."""
    h = Harness("sinetica-hawk-i2", outlets=4)
    assert str(h.get("1.3.6.1.4.1.3711.24.1.1.1.2.2.1.3.1")) == "Rack Temperature"
    assert int(h.get("1.3.6.1.4.1.3711.24.1.1.1.2.2.1.7.1")) == 235
    assert int(h.get("1.3.6.1.4.1.3711.24.1.1.1.3.1.1.7.1")) == 2


def test_vrack_lists_exactly_the_pdu_models_pdu_sim_ships_with_their_vendors() -> None:
    """A PDU vendor is its own module and .snmprec file: pdu_sim finds it and vrack's registry reads it."""
    from vrack.registry import all_models

    listed = {(m.name, m.vendor, m.description) for m in all_models() if m.kind == "pdu"}
    assert listed == {(m.name, m.vendor, m.description) for m in MODELS.values()}
    assert {m.vendor for m in MODELS.values()} == {"apc", "servertech", "sinetica"}
