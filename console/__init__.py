"""Escalation Console: a desktop incident console that runs an escalation matrix."""

__version__ = "0.1.0"
