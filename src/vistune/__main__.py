"""``python -m vistune``: the ``vistune`` command."""

import sys

from .cli.launch import main

sys.exit(main())
