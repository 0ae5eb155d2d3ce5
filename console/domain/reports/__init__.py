"""Reports: is the matrix working? Pure functions over plain data.

``facts.ticket_facts`` folds one ticket's events into the window-free ``TicketFacts``
(what a rollup stores), ``metrics.report`` computes every metric over a window from
them, and ``paging.paging_load`` reads the delivery outbox's pages. docs/reports.md
defines each figure."""

from __future__ import annotations

from .facts import ClockInstance, Escalation, Holding, TicketFacts, ticket_facts
from .metrics import Report, SlaRow, TeamRate, Week, report
from .paging import Page, PagingLoad, paging_load
from .rates import TOO_FEW, Rate, Spread

__all__ = ["TOO_FEW", "ClockInstance", "Escalation", "Holding", "Page", "PagingLoad", "Rate",
           "Report", "SlaRow", "Spread", "TeamRate", "TicketFacts", "Week", "paging_load",
           "report", "ticket_facts"]
