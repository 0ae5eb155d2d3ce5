"""What the engine keeps of each ticket, for as long as the process runs: plain data.

A notifying console holds every open ticket (50,000 and more), so each one costs what
the rules need and no more:

- the fold of its events without their history (``tickets.TicketCore``);
- its intake's shared words, without the title and text (one ``Intake`` per distinct
  set of words, see ``SharedIntakes``) when the engine can read those back
  (``IntakeSource``), which it does only for a rule that reads words;
- what already fired: one tuple of marks, each mark one copy for all tickets;
- its notification chains' positions, one ``ChainRun`` per chain started.

Its SLA clocks are not kept: they are a pure function of the state, the matrix and the
calendars, recomputed when the ticket changes (to schedule its timers) and when one of
them fires. Everything here is plain values (strings, numbers, datetimes, tuples,
slotted records): no closures, no matrix objects, so a checkpoint can save it as it
is (pickle, or ``dataclasses.asdict``) and rebuild the timer heap from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .chains import ChainRun
from .matrix.model import Conditions
from .tickets import Intake, TicketState

# A mark of something done once per ticket: the bare id of a trigger that acted,
# (clock, cycle, threshold) of an SLA alert sent, ("timer", trigger id, wait) of a
# spent time trigger.
Mark = str | tuple[Any, ...]
# The tickets' intakes as they were opened (title and text included), by ticket id.
IntakeSource = Callable[[Collection[str]], Mapping[str, Intake]]


@dataclass(slots=True)
class Ticket:
    """A ticket as the engine tracks it: its state, its score, what already fired and
    where its chains are. ``version`` tells the heap's current timers from stale ones."""

    state: TicketState
    suggested: str  # the scored severity (its reasons are read once, when it opens)
    version: int = 0
    fired: tuple[Mark, ...] = ()  # a few marks; a set cost 216 bytes before the first
    chains: tuple[ChainRun, ...] = ()  # in the order they started

    def run(self, chain: str) -> ChainRun | None:
        """The run of ``chain``, if it started."""
        for run in self.chains:
            if run.chain == chain:
                return run
        return None

    def runs(self) -> dict[str, ChainRun]:
        """The chain runs by chain id, for the chain functions (``set_runs`` stores
        what they changed)."""
        return {run.chain: run for run in self.chains}

    def set_runs(self, runs: dict[str, ChainRun]) -> None:
        self.chains = tuple(runs.values())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain tuples (the engine's checkpoint saves every open ticket):
        about three times faster than the slots' state dicts. ``LAYOUT`` names the
        fields in that order; a checkpoint of another layout is not read."""
        st = self.state
        return (_unpickle, (type(st), tuple([getattr(st, f) for f in _fields(type(st))]),
                            self.suggested, self.version, self.fired,
                            tuple([(r.chain, r.started_at, r.step, r.round, r.stage, r.next_at)
                                   for r in self.chains])))


def _fields(cls: type) -> tuple[str, ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return found


_FIELDS: dict[type, tuple[str, ...]] = {}


def _unpickle(cls: type[TicketState], values: tuple[Any, ...], suggested: str, version: int,
              fired: tuple[Mark, ...], chains: tuple[tuple[Any, ...], ...]) -> Ticket:
    return Ticket(cls(*values), suggested, version, fired,
                  tuple([ChainRun(*run) for run in chains]))


def layout() -> str:
    """The field names a pickled ``Ticket`` is written in (``Ticket.__reduce__``)."""
    from .tickets import TicketCore

    return repr([_fields(c) for c in (Ticket, TicketCore, ChainRun, Intake)])


class Marks:
    """One copy of each mark for every ticket: 50,000 tickets that sent the same
    response pre-breach alert hold one tuple, not 50,000."""

    def __init__(self) -> None:
        self._shared: dict[Mark, Mark] = {}

    def add(self, ticket: Ticket, mark: Mark) -> None:
        if mark not in ticket.fired:
            ticket.fired = (*ticket.fired, self._shared.setdefault(mark, mark))

    def shared(self, mark: Mark) -> Mark:
        return self._shared.setdefault(mark, mark)


class SharedIntakes:
    """The intakes the engine keeps: without title and text when ``source`` can read
    them back, one copy per distinct set of words (accounts, tiers and categories
    repeat across thousands of tickets)."""

    def __init__(self, source: IntakeSource | None) -> None:
        self.source = source
        self._shared: dict[Intake, Intake] = {}

    def keep(self, intake: Intake) -> Intake:
        """What to keep of a ticket's intake once it has been opened."""
        if self.source is None:
            return intake
        words = dataclasses.replace(intake, title="", text="")
        return self._shared.setdefault(words, words)

    def full(self, state: TicketState) -> Intake:
        """The ticket's whole intake (title and text too)."""
        if self.source is None:
            return state.intake
        return self.source([state.id]).get(state.id, state.intake)

    def full_many(self, states: Collection[TicketState]) -> dict[str, Intake]:
        if self.source is None:
            return {st.id: st.intake for st in states}
        found = self.source([st.id for st in states])
        return {st.id: found.get(st.id, st.intake) for st in states}


def reads_text(cond: Conditions, has_texts: bool) -> bool:
    """Whether ``cond`` reads the intake's title or text (its keywords, its words, or a
    sentiment rule with no new customer text to judge)."""
    return bool(cond.keywords or cond.words or (cond.sentiment is not None and not has_texts))
