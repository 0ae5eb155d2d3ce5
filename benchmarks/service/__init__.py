"""Benchmarks of the escalation service and of a long shared log (a year of history)."""
