"""``python -m benchmarks.flowchart``: layout time and drag frame time of a large matrix."""
