"""Sync benchmarks: drain an outbox, fleet latency between consoles, local writes."""
