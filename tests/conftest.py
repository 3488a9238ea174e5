"""Imports that must happen before any test module's.

sushy (tests/e2e/test_redfish_sushy.py) collects its resource fields with ``dir()`` over classes derived from
``collections.abc.Mapping``; once ``zope.interface.common.collections`` is imported (twisted.internet.testing
does), ``Mapping`` carries a class-only ``__provides__`` descriptor and sushy's import fails with
``AttributeError: __provides__``.  Importing sushy first avoids it.
"""

import sushy  # noqa: F401
