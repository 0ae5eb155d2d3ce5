"""The what-if preview as one call: both versions' replay of a window's tickets, and
their comparison (the flowchart editor's Preview impact and ``escalation-console
whatif`` share it).

A draft equal to the version in force cannot differ: it is replayed once, in this
process, and compared with itself (every difference zero, quickly).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from console.domain.matrix import Matrix
from console.domain.scoring import SentimentScorer
from console.domain.tickets import TicketEvent

from .impact import Impact, impact
from .parallel import Progress, parallel_replay
from .replay import Outcome
from .source import TicketStream


def preview(draft: Matrix, active: Matrix, events: Sequence[TicketEvent] | TicketStream,
            window_from: datetime, window_to: datetime,
            sentiment: SentimentScorer | None = None, *, workers: int | None = None,
            progress: Progress | None = None, cancel: Any = None,
            partial: Callable[[Impact, int, int], None] | None = None) -> Impact:
    """Replay the tickets opened in ``[window_from, window_to)`` (``events`` in time
    order, or a ``source.TicketStream`` of the window's tickets) through ``draft`` and
    ``active`` and compare them. ``progress(done, total)``
    as tickets finish; ``cancel`` (anything with ``is_set()``) stops the run with
    ``parallel.Cancelled``; a dead worker raises ``parallel.WorkerCrashed``.
    ``partial(impact, done, total)``: now and then while the run goes on, the
    comparison over the tickets done so far (a shuffled sample of the window's)."""
    if draft == active:  # nothing can differ: one replay
        [one] = parallel_replay((active,), events, window_from, window_to, sentiment,
                                workers=workers, progress=progress, cancel=cancel)
        return impact(one, one)

    def so_far(outcomes: list[Outcome], done: int, total: int) -> None:
        if partial is not None:
            partial(impact(*outcomes), done, total)

    draft_outcome, active_outcome = parallel_replay(
        (draft, active), events, window_from, window_to, sentiment, workers=workers,
        progress=progress, cancel=cancel, partial=so_far if partial else None)
    return impact(draft_outcome, active_outcome)
