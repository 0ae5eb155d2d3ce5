"""Batch and command-line use cases, without Qt: import, simulate, demo data."""
