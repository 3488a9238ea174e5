"""Scripts the double serves: short stand-ins with the features the simulated microkernel looks for.

They are not RackHD's templates (those are in on-taskgraph ``data/templates``); they
carry the same identifying lines (``smartctl --scan``, ``/dev/disk/by-id``,
``ipmitool user set password $userNumber <password>``, ``/etc/network/interfaces``)
and the same rendered values (node id, server, port, BMC user and password).
"""

from __future__ import annotations

BOOTSTRAP_JS = """// task runner (test double of on-taskgraph's bootstrap.js)
"use strict";
var http = require('http'),
    server = '{server}',
    port = '{port}',
    tasksPath = '/api/current/tasks/{identifier}';
// GET tasksPath; run each task's cmd (after downloading downloadUrl); POST the results;
// honour data.exit, else poll again in 5 seconds.
getTasks(5000);
"""

GET_SMART_SH = """#!/bin/bash
# SMART data of every drive (test double of get_smart.sh)
smartctl --scan | while read line; do
    dev=$(echo $line | awk '{print $1}'); type=$(echo $line | awk '{print $3}')
    echo "####$dev $type"; smartctl -a -d auto $dev
done
"""

GET_DRIVEID_JS = """#!/usr/bin/env node
// drive ids (test double of get_driveid.js): ls -l /dev/disk/by-id, ls -l /dev/disk/by-path, lsscsi
console.log(JSON.stringify(buildDriveMap()));
"""

SET_INTERFACES_PY = """# static addresses on every NIC (test double of set_interfaces.py)
import os
with open("/etc/network/interfaces", "w") as f:
    f.write("auto eth0\\niface eth0 inet static\\naddress 10.0.0.100\\n")
"""

SET_BMC_CREDENTIALS_SH = """#!/usr/bin/env bash
# BMC user for RackHD's OBM (test double of set_bmc_credentials.sh)
channel=1
userNumber=3
ipmitool user set name $userNumber {user}
ipmitool user set password $userNumber {password}
ipmitool channel setaccess $channel $userNumber callin=on ipmi=on link=on privilege=4
ipmitool user enable $userNumber
"""


def render(name: str, **values: str) -> bytes | None:
    """Template ``name`` with ``values`` filled in; None for an unknown name."""
    templates = {
        "get_smart.sh": GET_SMART_SH,
        "get_driveid.js": GET_DRIVEID_JS,
        "set_interfaces.py": SET_INTERFACES_PY,
        "set_bmc_credentials.sh": SET_BMC_CREDENTIALS_SH,
    }
    text = templates.get(name)
    if text is None:
        return None
    if name == "set_bmc_credentials.sh":
        text = text.replace("{user}", values["user"]).replace("{password}", values["password"])
    return text.encode()
