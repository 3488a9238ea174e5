"""The suite reads RackHD 2.60.7's payloads as RackHD really shapes them (seen against a real RackHD)."""

from __future__ import annotations

import pytest

from rackhd_suite.client import created_node_id
from rackhd_suite.session import graph_targets, write_community
from rackhd_suite.test_pollers import sdr_sensor_name
from rackhd_suite.test_workflows import sel_sensor_number
from vrack.testing import SnmpCommunity


def test_sdr_sensor_id_loses_the_sensor_number_ipmitool_prints() -> None:
    assert sdr_sensor_name("Temp_CPU0 (0x1)") == "Temp_CPU0"
    assert sdr_sensor_name("System Restart (0xe2)") == "System Restart"
    assert sdr_sensor_name("Pwr Consumption (0x77)") == "Pwr Consumption"


def test_sdr_sensor_name_without_a_number_stays_as_it_is() -> None:
    assert sdr_sensor_name("Fan1") == "Fan1"
    assert sdr_sensor_name("Drive (0)") == "Drive (0)"


def test_sel_sensor_number_of_a_two_word_sensor_type() -> None:
    entry = {"sensorType": "OS Boot", "sensorNumber": "#0x84", "event": "C: boot completed"}
    assert sel_sensor_number(entry) == "#0x84"


def test_sel_sensor_number_of_a_one_word_sensor_type_is_read_from_the_type() -> None:
    """What RackHD 2.60.7 stores for ipmitool's ``Processor #0x5a | IERR | Asserted``."""
    entry = {"sensorType": "Processor #0x5A", "sensorNumber": "00", "event": "IERR", "value": "Asserted"}
    assert sel_sensor_number(entry) == "#0x5a"


def test_sel_sensor_number_without_any_number() -> None:
    assert sel_sensor_number({"sensorType": "Processor", "sensorNumber": "00"}) == "00"


def test_node_id_from_a_node_record() -> None:
    assert created_node_id({"id": "5a1", "name": "node01", "type": "compute"}) == "5a1"


def test_node_id_from_the_discovery_graph_rackhd_answers_with_for_autodiscover() -> None:
    graph = {"instanceId": "a38f", "injectableName": "Graph.PDU.Discovery", "node": "6b12", "_status": "running"}
    assert created_node_id(graph) == "6b12"


def test_node_id_missing_says_what_rackhd_answered() -> None:
    with pytest.raises(AssertionError, match="names no node id"):
        created_node_id({"message": "odd"})


def test_write_community_prefers_the_specs_rw_community() -> None:
    """A read-only community gets noAccess for RackHD's servertech-obm-service snmpset (seen on a real RackHD)."""
    spec_default = [SnmpCommunity("public", "ro"), SnmpCommunity("private", "rw")]
    assert write_community(spec_default) == "private"
    assert write_community([SnmpCommunity("ops", "ro")]) == "ops"
    assert write_community([]) == "public"


def test_graph_targets_of_rackhds_untargeted_discovery_graph() -> None:
    """Graph.SKU.Discovery as a real RackHD 2.60.7 lists it for a PXE-booted node (abridged)."""
    workflow = {
        "node": "",
        "injectableName": "Graph.SKU.Discovery",
        "instanceId": "00f8",
        "tasks": [
            {
                "label": "discovery-graph",
                "options": {"graphName": "Graph.rancherDiscovery", "graphOptions": {"target": "6b12a"}},
            },
            {"label": "create-default-pollers", "options": {"nodeId": "6b12a", "pollers": []}},
            {"label": "noop", "options": {}},
        ],
    }
    assert graph_targets(workflow) == {"6b12a"}


def test_graph_targets_of_a_targeted_graph() -> None:
    assert graph_targets({"node": "6b12b", "tasks": {"t1": {"options": {"graphOptions": {}}}}}) == {"6b12b"}
