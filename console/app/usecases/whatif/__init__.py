"""What-if: replay real tickets through a draft matrix and the version in force, and
say what would have changed (issue 16, docs/whatif.md).

``replay`` runs one matrix over a window's tickets with the engine ``simulate`` uses
and notes, ticket by ticket, what each figure counts; ``impact`` compares two replays.
"""

from __future__ import annotations

from .impact import Change, Figure, Impact, impact, share
from .replay import NIGHT_END, NIGHT_START, Outcome, replay, strangers

__all__ = ["NIGHT_END", "NIGHT_START", "Change", "Figure", "Impact", "Outcome", "impact",
           "replay", "share", "strangers"]
