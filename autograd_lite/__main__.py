"""`python -m autograd_lite` runs the command line (see autograd_lite/cli/)."""

from autograd_lite.cli import main

raise SystemExit(main())
