"""Wire the app's alerts to the Alerts panel and the desktop notifier."""

from __future__ import annotations

from collections.abc import Callable

from console.app.runtime.alerts import AlertBatch
from console.app.runtime.port import ConsoleServicePort

from .alert_list import AlertList
from .notifier import DesktopNotifier


def wire_alerts(service: ConsoleServicePort, alert_list: AlertList, notifier: DesktopNotifier,
                open_ticket: Callable[[str], None]) -> None:
    """Raised alerts go to the panel and the desktop; acknowledgements (from either, or
    from another console) grey the panel's entries and close their notifications."""
    alerts = service.alerts

    def raised(batch: AlertBatch) -> None:
        alert_list.add_batch(batch)
        notifier.show(batch)

    def done(keys: list[str]) -> None:
        alert_list.mark_all_acknowledged(keys)
        notifier.close_acknowledged(keys)

    def acknowledge(ticket: str, key: str) -> None:
        if ticket:
            service.acknowledge(ticket, key)  # tells everyone the ticket is taken
        else:
            alerts.acknowledge("", key)  # a summary: seen on this console

    alerts.raised.connect(raised)
    alerts.acknowledged.connect(done)
    for source in (alert_list, notifier):
        source.acknowledgeRequested.connect(acknowledge)
        source.openRequested.connect(open_ticket)
