"""``ipmitool mc info`` (Get Device ID) printed as ipmitool 1.8.19 does.

Manufacturer and product names come from small tables holding the names
ipmitool prints for the BMC models vrack ships; other IDs print as
``Unknown (0x...)``.
"""

from __future__ import annotations

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import APP, InbandIpmi, IpmiCommandError

MANUFACTURERS = {
    343: "Intel Corporation",
    674: "Dell Inc.",
    7244: "Quanta Computer Inc.",
    10876: "Super Micro Computer Inc.",
}
PRODUCTS = {(10876, 0x0964): "H11DSi-NT"}
DEVICE_SUPPORT = (
    "Sensor Device",
    "SDR Repository Device",
    "SEL Device",
    "FRU Inventory Device",
    "IPMB Event Receiver",
    "IPMB Event Generator",
    "Bridge",
    "Chassis Device",
)


def mc_info(ipmi: InbandIpmi, c: Console) -> int:
    try:
        d = ipmi.request(APP, 0x01)
    except IpmiCommandError as exc:
        c.error(f"Get Device ID command failed: 0x{exc.code:02x} {exc.text}")
        return 1
    if len(d) < 11:
        c.error("Get Device ID command failed: short response")
        return 1
    manufacturer = int.from_bytes(d[6:9], "little") & 0x0FFFFF
    product = d[9] | (d[10] << 8)
    c.print(f"Device ID                 : {d[0]}")
    c.print(f"Device Revision           : {d[1] & 0x0F}")
    c.print(f"Firmware Revision         : {d[2] & 0x7F}.{d[3]:02x}")
    c.print(f"IPMI Version              : {d[4] & 0x0F:x}.{d[4] >> 4:x}")
    c.print(f"Manufacturer ID           : {manufacturer}")
    c.print(f"Manufacturer Name         : {MANUFACTURERS.get(manufacturer, f'Unknown (0x{manufacturer:X})')}")
    c.print(f"Product ID                : {product} (0x{d[10]:02x}{d[9]:02x})")
    c.print(f"Product Name              : {PRODUCTS.get((manufacturer, product), f'Unknown (0x{product:X})')}")
    c.print(f"Device Available          : {'no' if d[2] & 0x80 else 'yes'}")
    c.print(f"Provides Device SDRs      : {'yes' if d[1] & 0x80 else 'no'}")
    c.print("Additional Device Support :")
    for bit, name in enumerate(DEVICE_SUPPORT):
        if d[5] & (1 << bit):
            c.print(f"    {name}")
    if len(d) >= 15:
        c.print("Aux Firmware Rev Info     : ")
        for b in d[11:15]:
            c.print(f"    0x{b:02x}")
    return 0
