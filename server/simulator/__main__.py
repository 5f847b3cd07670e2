"""``python -m server.simulator``: the same as ``waitwell simulate``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
