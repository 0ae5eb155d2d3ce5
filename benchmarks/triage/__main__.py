"""``python -m benchmarks.triage``: the text models' training time and suggestion
latency (benchmarks/triage/text.py). The risk model's backtest and scoring time are
``python -m benchmarks.triage.risk``."""

from __future__ import annotations

import sys

from .text import main

if __name__ == "__main__":
    sys.exit(main())
