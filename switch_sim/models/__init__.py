"""Switch personality data files (``<model>.yaml``), read by :mod:`switch_sim.personality`."""
