"""``python -m vistune.cli``: the ``vistune`` command."""

import sys

from .launch import main

sys.exit(main())
