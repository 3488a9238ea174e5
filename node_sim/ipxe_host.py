"""What the iPXE interpreter and the machine it runs on exchange: the host's duties, fetched images, the outcome."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FetchResult:
    url: str
    size: int
    data: bytes | None


class IpxeHost(Protocol):
    """What the interpreter needs from the machine it runs on."""

    def nic_count(self) -> int: ...

    def nic_setting(self, index: int, name: str) -> str | None: ...

    def smbios(self, name: str) -> str | None: ...

    def fetch(self, url: str, verb: str, keep: bool) -> Awaitable[FetchResult]:
        """Fetch ``url`` (http or tftp); fails (any exception) when the fetch fails."""
        ...

    def ifconf(self, index: int, user_class: str | None) -> Awaitable[bool]:
        """DHCP on NIC ``index`` in iPXE mode; True once it has an address."""
        ...

    def echo(self, text: str) -> None: ...


@dataclass
class Image:
    name: str
    url: str
    size: int
    data: bytes | None
    args: str = ""

    @property
    def is_script(self) -> bool:
        return self.data is not None and self.data.lstrip().startswith(b"#!ipxe")


@dataclass(frozen=True)
class IpxeResult:
    kind: str  # kernel | exit | sanboot | reboot | poweroff | failed
    kernel: Image | None = None
    initrds: tuple[Image, ...] = ()
    args: str = ""
    nic: int | None = None
    status: int = 0
    reason: str = ""
    steps: int = 0
