"""Engine benchmark: ``python -m benchmarks.engine [--quick]`` (see ``__main__``)."""
