"""`python -m crossref` runs the CLI."""

import sys

from crossref.cli import main

sys.exit(main())
