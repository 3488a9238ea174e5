"""``python -m vrack`` is the ``vrack`` command."""

import sys

from vrack.cli import main

sys.exit(main())
