"""``RackHDTestCase``: the base of every group (a plain ``unittest.TestCase``, so any runner runs it).

``setUpClass`` takes the run's :class:`~rackhd_suite.session.SuiteSession` (RackHD must answer: when it
does not, every test of the group errors with "RackHD is not reachable at ..."; nothing is skipped),
clears the rack's nodes out of RackHD so the group starts from nothing, then calls ``prepare()``.
A group not selected by ``[suite] groups`` is skipped with that reason.
"""

from __future__ import annotations

import unittest
from typing import ClassVar

from rackhd_suite.client import RackHD
from rackhd_suite.session import GraphRun, SuiteSession, current
from vrack.testing import RackHandle


class RackHDTestCase(unittest.TestCase):
    """One group of the suite (``group`` names it)."""

    group: ClassVar[str] = ""
    clear_before: ClassVar[bool] = True
    session: ClassVar[SuiteSession]
    rack: ClassVar[RackHandle]
    rackhd: ClassVar[RackHD]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        session = current()
        if cls.group not in session.config.groups:
            raise unittest.SkipTest(f"group {cls.group} is not selected ([suite] groups: {session.config.groups})")
        cls.session, cls.rack, cls.rackhd = session, session.rack, session.rackhd
        if cls.clear_before:
            session.clear_rack_nodes()
        cls.prepare()

    @classmethod
    def prepare(cls) -> None:
        """What the group sets up in RackHD before its tests (nothing by default)."""

    def assertGraphSucceeded(self, run: GraphRun) -> None:
        if run.status != "succeeded":
            self.fail(run.failure())
