"""zcheck: a model checker for Linux memory-hotplug, ZONE_DEVICE and page-flag models.

Pipeline (imports go one way): spec → system → checker → counterexamples → cli.
"""

__version__ = "0.1.0"
