"""`python -m orggraph` runs the command line."""

from orggraph.api.cli import main

raise SystemExit(main())
