"""A TEST DOUBLE of RackHD's southbound API (on-taskgraph's ``/api/current/tasks`` and templates).

Written from rackhd-facts §3.5-3.8, not from RackHD's code: it serves a
bootstrap.js rendered with the node id, queues the Graph.rancherDiscovery task
batches per node (plus Graph.Set.Bmc.Credentials and the shell reboot),
stores posted results as catalogs parsed the way RackHD parses the key fields
(``bmc``, ``ipmi-fru``, ``dmi``, ``lldp``, ...), and answers 404 when a node has
no task waiting.  It is NOT RackHD; use it to test vrack's microkernel.

``northbound.py`` is a STAND-IN for RackHD's northbound API (``/api/2.0``: nodes, OBMs, power graphs run
through ipmitool, ``graph.finished`` on AMQP) for testing ``rackhd_suite`` in CI; ``broker.py`` starts the
real RabbitMQ it publishes on.
"""
