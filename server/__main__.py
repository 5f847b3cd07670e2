"""``python -m server`` runs the ``waitwell`` command."""

import sys

from .cli import main


sys.exit(main())
