"""``smartctl --scan`` / ``smartctl -a -d TYPE DEV`` (smartmontools 6.4) for the node's drives.

SATA drives print the ATA report (identity, health, capabilities, the
personality's attribute table, logs); SAS drives behind the RAID controller
(``/dev/bus/0 -d megaraid,N``) print the SCSI report; a RAID virtual drive
has no SMART.  The section headers are the ones RackHD's smart parser keys on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.storage import BlockDevice, block_devices, raid_members
from node_sim.hardware import Disk
from node_sim.hardware_identity import disk_serial, disk_wwn

BANNER = (
    "smartctl 6.4 2014-10-07 r4002 [x86_64-linux-{kernel}] (local build)\n"
    "Copyright (C) 2002-14, Bruce Allen, Christian Franke, www.smartmontools.org\n\n"
)
ATA_CAPABILITIES = """General SMART Values:
Offline data collection status:  (0x00)\tOffline data collection activity
\t\t\t\t\twas never started.
\t\t\t\t\tAuto Offline Data Collection: Disabled.
Self-test execution status:      (   0)\tThe previous self-test routine completed
\t\t\t\t\twithout error or no self-test has ever
\t\t\t\t\tbeen run.
Total time to complete Offline
data collection: \t\t(  {offline}) seconds.
Offline data collection
capabilities: \t\t\t (0x79) SMART execute Offline immediate.
\t\t\t\t\tNo Auto Offline data collection support.
\t\t\t\t\tSuspend Offline collection upon new
\t\t\t\t\tcommand.
\t\t\t\t\tOffline surface scan supported.
\t\t\t\t\tSelf-test supported.
\t\t\t\t\tConveyance Self-test supported.
\t\t\t\t\tSelective Self-test supported.
SMART capabilities:            (0x0003)\tSaves SMART data before entering
\t\t\t\t\tpower-saving mode.
\t\t\t\t\tSupports SMART auto save timer.
Error logging capability:        (0x01)\tError logging supported.
\t\t\t\t\tGeneral Purpose Logging supported.
Short self-test routine
recommended polling time: \t (   1) minutes.
Extended self-test routine
recommended polling time: \t (  {extended}) minutes.
SCT capabilities: \t       (0x003d)\tSCT Status supported.
\t\t\t\t\tSCT Error Recovery Control supported.
\t\t\t\t\tSCT Feature Control supported.
\t\t\t\t\tSCT Data Table supported.
"""
ATA_LOGS = """SMART Error Log Version: 1
No Errors Logged

SMART Self-test log structure revision number 1
No self-tests have been logged.  [To run self-tests, use: smartctl -t]

SMART Selective self-test log data structure revision number 1
 SPAN  MIN_LBA  MAX_LBA  CURRENT_TEST_STATUS
    1        0        0  Not_testing
    2        0        0  Not_testing
    3        0        0  Not_testing
    4        0        0  Not_testing
    5        0        0  Not_testing
Selective self-test flags (0x0):
  After scanning selected spans, do NOT read-scan remainder of disk.
If Selective self-test is pending on power-up, resume after 0 minute delay.
"""

# A drive going bad (the disk-fail fault): what smartctl 6.4 prints and the exit status bits it sets
# (3: SMART status "DISK FAILING", 4: prefail attributes at or below threshold).
ATA_FAILED = (
    "SMART overall-health self-assessment test result: FAILED!\n"
    "Drive failure expected in less than 24 hours. SAVE ALL DATA.\n"
    "See vendor-specific Attribute list for failed Attributes.\n\n"
)
SCSI_FAILED = "SMART Health Status: FAILURE PREDICTION THRESHOLD EXCEEDED [asc=5d, ascq=10]"
FAILING_ATTRIBUTES = {5: "3960", 179: "3960"}  # reallocated sectors / used reserved blocks
GROWN_DEFECTS = 1872
ATA_FAILING_STATUS, SCSI_FAILING_STATUS = 0x18, 0x08


@dataclass(frozen=True)
class ScanEntry:
    device: str
    dtype: str
    comment: str

    def line(self) -> str:
        return f"{self.device} -d {self.dtype} # {self.comment}"


def scan(ctx: NodeContext) -> list[ScanEntry]:
    entries = [ScanEntry(f"/dev/{d.kname}", "scsi", f"/dev/{d.kname}, SCSI device") for d in block_devices(ctx)]
    for slot, _ in enumerate(raid_members(ctx)):
        entries.append(
            ScanEntry("/dev/bus/0", f"megaraid,{slot}", f"/dev/bus/0 [megaraid_disk_{slot:02d}], SCSI device")
        )
    return entries


def _local_time(ctx: NodeContext) -> str:
    t = time.gmtime(ctx.now())
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y UTC", t)


def _capacity(size: int) -> str:
    gb = size / 1e9
    unit = f"{gb / 1000:.2f} TB" if gb >= 1000 else f"{gb:.0f} GB"
    return f"{size:,} bytes [{unit}]"


def ata_report(ctx: NodeContext, dev: BlockDevice) -> str:
    disk = dev.disk
    assert disk is not None
    wwn = dev.wwn
    rotation = f"{disk.rpm} rpm" if disk.rotational else "Solid State Device"
    info = [
        "=== START OF INFORMATION SECTION ===",
        f"Device Model:     {disk.model}",
        f"Serial Number:    {dev.serial}",
        f"LU WWN Device Id: {wwn[0]} {wwn[1:7]} {wwn[7:16]}",
        f"Firmware Version: {disk.firmware}",
        f"User Capacity:    {_capacity(disk.size_bytes)}",
        "Sector Sizes:     512 bytes logical, 4096 bytes physical",
        f"Rotation Rate:    {rotation}",
        "Device is:        Not in smartctl database [for details use: -P showall]",
        "ATA Version is:   ACS-2 T13/2015-D revision 3",
        "SATA Version is:  SATA 3.0, 6.0 Gb/s (current: 6.0 Gb/s)",
        f"Local Time is:    {_local_time(ctx)}",
        "SMART support is: Available - device has SMART capability.",
        "SMART support is: Enabled",
    ]
    attrs = [
        "SMART Attributes Data Structure revision number: 1",
        "Vendor Specific SMART Attributes with Thresholds:",
        "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE",
    ]
    failing = dev.disk_index in ctx.failing_disks
    for a in disk.smart:
        value, worst, when, raw = a.value, a.worst, "-", a.raw
        if failing and a.id in FAILING_ATTRIBUTES:  # a prefail attribute past its threshold, failing now
            value = worst = max(a.thresh - 1, 1)
            when, raw = "FAILING_NOW", FAILING_ATTRIBUTES[a.id]
        failed = f"{when} {raw}" if when != "-" else f"{when:>6}       {raw}"
        attrs.append(
            f"{a.id:3d} {a.name:<23} {a.flag}   {value:03d}   {worst:03d}   {a.thresh:03d}    "
            f"{a.type:<9} {a.updated:<8} {failed}"
        )
    capabilities = ATA_CAPABILITIES.format(
        offline=" 0" if not disk.rotational else "584", extended="  2" if not disk.rotational else "111"
    )
    return (
        BANNER.format(kernel=ctx.hardware.kernel)
        + "\n".join(info)
        + "\n\n=== START OF READ SMART DATA SECTION ===\n"
        + (ATA_FAILED if failing else "SMART overall-health self-assessment test result: PASSED\n\n")
        + capabilities
        + "\n"
        + "\n".join(attrs)
        + "\n\n"
        + ATA_LOGS
        + "\n"
    )


def scsi_report(ctx: NodeContext, disk: Disk, index: int) -> str:
    serial, wwn = disk_serial(disk, ctx.identity, index), disk_wwn(disk, ctx.identity, index)
    hours = disk.power_on_hours
    lines = [
        "=== START OF INFORMATION SECTION ===",
        f"Vendor:               {disk.vendor}",
        f"Product:              {disk.model}",
        f"Revision:             {disk.firmware}",
        f"User Capacity:        {_capacity(disk.size_bytes)}",
        "Logical block size:   512 bytes",
        f"Rotation Rate:        {disk.rpm} rpm" if disk.rotational else "Rotation Rate:        Solid State Device",
        "Form Factor:          2.5 inches",
        f"Logical Unit id:      0x{wwn}",
        f"Serial number:        {serial}",
        "Device type:          disk",
        "Transport protocol:   SAS (SPL-3)",
        f"Local Time is:        {_local_time(ctx)}",
        "SMART support is:     Available - device has SMART capability.",
        "SMART support is:     Enabled",
        "Temperature Warning:  Enabled",
        "",
        "=== START OF READ SMART DATA SECTION ===",
        SCSI_FAILED if index in ctx.failing_disks else "SMART Health Status: OK",
        "",
        "Current Drive Temperature:     29 C",
        "Drive Trip Temperature:        68 C",
        "",
        f"Accumulated power on time, hours:minutes {hours}:00",
        "Manufactured in week 12 of year 2015",
        "Specified cycle count over device lifetime:  10000",
        "Accumulated start-stop cycles:  44",
        "Specified load-unload count over device lifetime:  300000",
        "Accumulated load-unload cycles:  1042",
        f"Elements in grown defect list: {GROWN_DEFECTS if index in ctx.failing_disks else 0}",
        "",
        "Error counter log:",
        "           Errors Corrected by           Total   Correction     Gigabytes    Total",
        "               ECC          rereads/    errors   algorithm      processed    uncorrected",
        "           fast | delayed   rewrites  corrected  invocations   [10^9 bytes]  errors",
        f"read:          0        0         0         0          0      {hours * 3.1:10.3f}           0",
        f"write:         0        0         0         0          0      {hours * 1.7:10.3f}           0",
        "",
        "Non-medium error count:        3",
        "",
        "No self-tests have been logged",
        "",
    ]
    return BANNER.format(kernel=ctx.hardware.kernel) + "\n".join(lines) + "\n"


def vd_report(ctx: NodeContext, dev: BlockDevice) -> str:
    lines = [
        "=== START OF INFORMATION SECTION ===",
        f"Vendor:               {dev.vendor}",
        f"Product:              {dev.model}",
        f"Revision:             {dev.rev}",
        f"User Capacity:        {_capacity(dev.size_bytes)}",
        "Logical block size:   512 bytes",
        f"Logical Unit id:      0x{dev.wwn}",
        f"Serial number:        {dev.serial}",
        "Device type:          disk",
        f"Local Time is:        {_local_time(ctx)}",
        "SMART support is:     Unavailable - device lacks SMART capability.",
        "",
        "=== START OF READ SMART DATA SECTION ===",
        "Current Drive Temperature:     0 C",
        "Drive Trip Temperature:        0 C",
        "",
        "Error Counter logging not supported",
        "",
        "Device does not support Self Test logging",
        "",
    ]
    return BANNER.format(kernel=ctx.hardware.kernel) + "\n".join(lines) + "\n"


def smart_report(ctx: NodeContext, device: str, dtype: str) -> CommandResult:
    """``smartctl -a -d DTYPE DEVICE`` output and exit status."""
    if dtype.startswith("megaraid,") and device == "/dev/bus/0":
        members = raid_members(ctx)
        slot = int(dtype.split(",", 1)[1]) if dtype.split(",", 1)[1].isdigit() else -1
        if not 0 <= slot < len(members):
            return CommandResult(
                BANNER.format(kernel=ctx.hardware.kernel) + "\nSmartctl open device: /dev/bus/0 "
                f"[megaraid_disk_{slot:02d}] failed: INQUIRY failed\n",
                "",
                2,
            )
        index, disk = members[slot]
        return CommandResult(scsi_report(ctx, disk, index), "", _status(ctx, index, SCSI_FAILING_STATUS))
    for dev in block_devices(ctx):
        if device == f"/dev/{dev.kname}":
            if dev.disk is None:
                return CommandResult(vd_report(ctx, dev), "", 4)
            if dev.disk.bus == "sata":
                return CommandResult(ata_report(ctx, dev), "", _status(ctx, dev.disk_index, ATA_FAILING_STATUS))
            status = _status(ctx, dev.disk_index, SCSI_FAILING_STATUS)
            return CommandResult(scsi_report(ctx, dev.disk, dev.disk_index), "", status)
    return CommandResult(
        BANNER.format(kernel=ctx.hardware.kernel) + f"\nSmartctl open device: {device} failed: No such device\n", "", 2
    )


def _status(ctx: NodeContext, index: int | None, failing: int) -> int:
    return failing if index is not None and index in ctx.failing_disks else 0


def smartctl(args: list[str], ctx: NodeContext) -> CommandResult:
    if args == ["--scan"] or args == ["--scan-open"]:
        return CommandResult("".join(e.line() + "\n" for e in scan(ctx)))
    dtype, device, rest = "auto", "", list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "-d" and rest:
            dtype = rest.pop(0)
        elif not arg.startswith("-"):
            device = arg
    if not device:
        return CommandResult("", "ERROR: smartctl requires a device name as the final command-line argument.\n", 1)
    return smart_report(ctx, device, dtype)
