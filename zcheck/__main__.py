"""`python -m zcheck`: the command line."""

import sys

from zcheck.cli import main

sys.exit(main())
