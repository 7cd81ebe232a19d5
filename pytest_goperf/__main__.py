"""``python -m pytest_goperf`` is the ``goperf`` command."""

from pytest_goperf.cli import main

raise SystemExit(main())
