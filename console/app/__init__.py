"""Bootstrap and wiring: settings, the scheduler, the unit of work, background operations."""
