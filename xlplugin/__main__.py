"""``python3 -m xlplugin``: the command line, as the ``xlplugin`` script runs it."""

import sys

from xlplugin.cli import main

sys.exit(main())
