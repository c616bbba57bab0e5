"""`python -m zcheck`: the command line."""

from zcheck.cli import entry

entry()
