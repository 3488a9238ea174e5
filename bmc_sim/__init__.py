"""bmc_sim: a simulated IPMI BMC (IPMI 1.5 and 2.0 RMCP+ over UDP).

Three layers, each testable without the others:

* wire (:mod:`bmc_sim.wire`): bytes <-> RMCP/IPMI messages, pure functions;
* session (:mod:`bmc_sim.session`): authentication, integrity, confidentiality,
  sequence numbers and session lifetime, driven by an injected clock;
* device (:mod:`bmc_sim.device`): the BMC's state and command handlers
  (chassis, SDR, SEL, FRU, LAN configuration, users), no sockets;
* transport (:mod:`bmc_sim.protocol`): a Twisted ``DatagramProtocol`` bound when
  its service starts.

``bmc_sim`` never imports ``vrack``; ``vrack`` composes it.
"""
