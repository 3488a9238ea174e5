"""Fault kinds of the management link.

``net-latency`` and ``net-loss`` act on any device's management link (a BMC's
IPMI port, a PDU's or switch's SNMP agent) through
:class:`vrack.roles.LinkFaults`: requests are answered late or dropped before
the device sees them, with draws from the fault's seeded RNG, so the same seed
and traffic give the same delays and drops.  ``bmc-sessions-full`` makes every
session slot of a BMC taken: new logins are refused as "insufficient
resources", sessions already open carry on.  ``disk-fail`` makes a drive go bad
(:class:`vrack.roles.DiskFaults`): smartctl reports it failing, the RAID tool
flags it, the BMC logs a predictive failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from vrack.fault_kind import FaultContext, FaultKind, NoParams, Undo

if TYPE_CHECKING:
    from vrack.roles import LinkFaults


class LatencyParams(NoParams):
    latency: float = Field(gt=0, le=60, description="seconds each request waits before the device handles it")
    jitter: float = Field(default=0.0, ge=0, le=60, description="each delay varies uniformly by up to ± this")


class LossParams(NoParams):
    rate: float = Field(gt=0, le=1, description="probability that a request datagram is lost (0-1]")


def _link(ctx: FaultContext, name: str) -> LinkFaults:
    return ctx.rack.link_device(name)


def _latency(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    device = _link(ctx, name)
    device.set_link_latency(params["latency"], params["jitter"], ctx.rng, ctx.cause)
    return lambda: device.set_link_latency(0.0, 0.0, None, ctx.cause)


def _loss(ctx: FaultContext, name: str, params: dict[str, Any]) -> Undo:
    device = _link(ctx, name)
    device.set_link_loss(params["rate"], ctx.rng, ctx.cause)
    return lambda: device.set_link_loss(0.0, None, ctx.cause)


LINK_KINDS = (
    FaultKind(
        "net-latency",
        "any",
        "requests to the device's management address are answered `latency` ± `jitter` seconds late",
        LatencyParams,
        _latency,
    ),
    FaultKind(
        "net-loss",
        "any",
        "requests to the device's management address are lost with probability `rate`",
        LossParams,
        _loss,
    ),
)
