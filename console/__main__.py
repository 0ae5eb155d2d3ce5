"""``python -m console`` is the same as ``escalation-console``; the bundle's entry."""

import multiprocessing
import sys

from console.cli import main

if __name__ == "__main__":
    # In a frozen bundle a spawned worker (what-if's replay, triage's training) starts
    # this executable again: freeze_support runs the worker's task instead of the CLI.
    multiprocessing.freeze_support()
    sys.exit(main())
