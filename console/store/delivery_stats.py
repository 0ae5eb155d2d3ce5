"""Aggregates of the notification outbox (table ``deliveries``) for the service's
``/metrics``, counted by SQLite in one query each: a scrape hands Python a few rows
however long the table grows. Read-only: ``uow.delivery_stats``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select

from .models import DeliveryRow
from .repo import Repo


class DeliveryStatsRepo(Repo):
    def channel_stats(self) -> list[tuple[str, str, int, int]]:
        """(channel, status, deliveries, retries: attempts beyond each one's first)."""
        retries = func.sum(case((DeliveryRow.attempts > 1, DeliveryRow.attempts - 1),
                                else_=0))
        query = (select(DeliveryRow.channel, DeliveryRow.status, func.count(), retries)
                 .group_by(DeliveryRow.channel, DeliveryRow.status))
        return [(c, s, int(n), int(r or 0)) for c, s, n, r in self._s.execute(query)]

    def lateness(self, bounds: Sequence[float]) -> tuple[list[int], float, int]:
        """How late sent deliveries went out against their fire's due instant, in
        seconds (``sent_at`` minus ``meta.fire_at``): counts at or under each bound, the
        sum and the count. PagerDuty acknowledge/resolve follow-ups are no fire."""
        late = (func.julianday(DeliveryRow.sent_at) - func.julianday(
            func.json_extract(DeliveryRow.payload, "$.meta.fire_at"))) * 86400.0
        kind = func.coalesce(func.json_extract(DeliveryRow.payload, "$.meta.kind"), "")
        query = (select(*[func.sum(case((late <= b, 1), else_=0)) for b in bounds],
                        func.sum(late), func.count())
                 .where(DeliveryRow.status == "sent", late.is_not(None),
                        kind.not_like("pd\\_%", escape="\\")))
        row = self._s.execute(query).one()
        return [int(n or 0) for n in row[:-2]], float(row[-2] or 0.0), int(row[-1])
