"""node_sim: a simulated compute node that really network-boots, then impersonates RackHD's microkernel.

Netboot half (DHCP/proxyDHCP, TFTP, iPXE, HTTP; ``node_sim.netboot``): a PXE ROM and iPXE that run
against real DHCP/TFTP/HTTP servers and end in a :class:`~node_sim.netboot.BootOutcome` (kernel,
initrd, arguments, NIC, address) that the microkernel half takes over.
"""
