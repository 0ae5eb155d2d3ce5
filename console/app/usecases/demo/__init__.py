"""The demo queue: a realistic store seeded relative to "now" so its countdowns are alive.

- data.py: the fixed material (severity and scenario mix, accounts, people, texts);
- scenarios.py: each ticket planned into a chosen SLA situation, and the events;
- seed.py: wiping and writing the demo store (the only part with I/O).

What the rest of the console, the tests and the benchmarks use is re-exported here.
"""

from .data import DEFAULT_TICKETS
from .scenarios import ProgressCallback, demo_events
from .seed import MARKER, DemoError, default_user, demo_data_dir, seed_demo

__all__ = ["DEFAULT_TICKETS", "MARKER", "DemoError", "ProgressCallback", "default_user",
           "demo_data_dir", "demo_events", "seed_demo"]
