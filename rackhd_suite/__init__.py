"""vrack's RackHD integration suite: drive a real RackHD against a vrack rack, group by group.

Groups (run in this order): smoke, obm (see :data:`rackhd_suite.config.GROUPS`); each is a module
``rackhd_suite.test_<group>`` of ``unittest.TestCase`` classes, so ``python -m unittest rackhd_suite``,
``pytest --pyargs rackhd_suite`` and ``nose2 rackhd_suite`` all run it.  ``vrack test rackhd SPEC`` starts
the rack, runs the groups, writes JUnit XML and a summary.  Settings: :mod:`rackhd_suite.config`.
"""

from __future__ import annotations

import unittest
from typing import Any


def load_tests(loader: unittest.TestLoader, standard: unittest.TestSuite, pattern: Any) -> unittest.TestSuite:
    """``python -m unittest rackhd_suite``: every group, in run order.

    nose2 finds the group modules of the package itself (and would run each group twice with this suite
    added), so for its loader the standard tests are returned unchanged.
    """
    if type(loader).__module__.startswith("nose2"):
        return standard
    from rackhd_suite.runner import group_suite

    return group_suite(loader=loader)
