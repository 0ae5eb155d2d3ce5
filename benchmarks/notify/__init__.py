"""Notification delivery benchmark: 1,000 alerts in 10 s against local services."""
