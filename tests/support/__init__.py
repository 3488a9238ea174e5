"""Helpers the tests share: free ports, waiting on conditions, rack subprocesses, real IPMI/SNMP clients."""
