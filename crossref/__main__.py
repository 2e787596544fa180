"""`python -m crossref` runs the CLI, as the `crossref` command does."""

import sys

from crossref.cli import console_main

sys.exit(console_main())
