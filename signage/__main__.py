"""`python -m signage`: the lobby screen."""

from signage.cli import main


raise SystemExit(main())
