"""Node backends: a node's host side (power, boot device, NICs) behind its BMC.

``vrack.nodes.vm`` runs a node as a libvirt/QEMU VM (``vm_xml`` builds its domain XML, ``libvirtd``
starts the daemons by hand); ``vrack.nodes.sim`` is the simulated node.  Nothing is imported here, so
``import vrack.nodes`` needs neither libvirt-python nor a reactor.
"""
