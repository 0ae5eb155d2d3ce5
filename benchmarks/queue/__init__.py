"""The live queue under load: ``python -m benchmarks.queue`` (see __main__.py)."""
