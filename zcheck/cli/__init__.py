"""The command layer: one thin module per command (arguments → library call →
rendering), the one exit-code table (exits.py), the Deadline and cancellation that
cover a whole command (control.py, interrupt.py), and atomic, terminal-safe output
(output.py). The only place that prints and sets exit codes; no domain logic."""

from zcheck.cli.main import entry, main

__all__ = ["entry", "main"]
