"""What the service's end-to-end tests and benchmarks share: a matrix with short P1
targets published into the shared database, P1s posted to the intake API, and the
wall-clock instant a local PagerDuty-like server received a request.

The matrix pages only through triggers, so each page has one due instant known from
the ticket's opening: the response pre-breach (``lead`` seconds before the target)
pages the duty manager, the breach starts a chain whose primary is the on-call
engineer and whose backup is paged ``ack`` seconds later; the chain runs three rounds.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# PagerDuty routing keys (secrets) of the matrix's three PagerDuty services
ROUTING_KEYS = {"engineering-oncall": "R-ONCALL", "engineering-backup": "R-BACKUP",
                "executive-escalation": "R-EXEC"}
WARNING_KEY, PRIMARY_KEY, BACKUP_KEY = "R-EXEC", "R-ONCALL", "R-BACKUP"


def short_p1_matrix(response: int = 40, lead: int = 20, ack: int = 15) -> str:
    """The YAML of a matrix whose P1 response target is ``response`` seconds."""
    return f"""\
schema_version: 1
name: Short P1 targets (service tests and benchmarks)
calendars:
  24x7: {{timezone: UTC, hours: always}}
tiers:
  - {{id: T1, name: Frontline support, level: 1}}
  - {{id: T3, name: Incident response, level: 3}}
teams:
  - {{id: frontline, name: Frontline Support, tier: T1, function: support}}
  - {{id: incident-response, name: Incident Response, tier: T3, function: engineering}}
contacts:
  - {{id: oncall-primary, name: On-call primary, pagerduty: engineering-oncall}}
  - {{id: oncall-secondary, name: On-call secondary, pagerduty: engineering-backup}}
  - {{id: duty-manager, name: Duty manager, pagerduty: executive-escalation}}
chains:
  response-at-risk:
    steps:
      - {{primary: duty-manager, channel: pagerduty}}
  response-breached:
    repeat: 3
    steps:
      - {{primary: oncall-primary, backup: oncall-secondary, channel: pagerduty,
         ack_timeout: {ack}s}}
severities:
  - id: P1
    name: Critical
    color: "#d32f2f"
    criteria:
      - when: {{users_affected_pct: {{gt: 25}}, workaround: none}}
    targets: {{calendar: 24x7, response: {response}s}}
    pre_breach: {{response: {lead}s}}
    route_to: incident-response
  - id: P3
    name: Medium
    color: "#fbc02d"
    targets: {{calendar: 24x7, response: 1h}}
default_severity: P3
intake_team: frontline
triggers:
  - id: p1-response-at-risk
    when: {{severity: [P1], sla: {{clock: response, state: pre_breach}}}}
    then:
      - notify: response-at-risk
  - id: p1-response-breached
    when: {{severity: [P1], sla: {{clock: response, state: breached}}}}
    then:
      - notify: response-breached
"""


def secret_env() -> dict[str, str]:
    """The routing keys as the service reads them (``ESCALATION_SECRET_NOTIFY_...``)."""
    return {f"ESCALATION_SECRET_NOTIFY_PAGERDUTY_{service.upper().replace('-', '_')}": key
            for service, key in ROUTING_KEYS.items()}


def publish_matrix(url: str, yaml_text: str) -> None:
    """A lead publishes ``yaml_text`` from a console store and syncs it to ``url``."""
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path
    from console.store.local import LocalStore
    from console.store.sync import Syncer

    with tempfile.TemporaryDirectory(prefix="lead-") as directory:
        store = LocalStore(Path(directory), load_matrix_file(default_matrix_path())).open()
        try:
            store.publish_matrix(yaml_text, "short P1 targets", "lead-lena")
            with Syncer(store, url) as syncer:
                syncer.sync_once()
        finally:
            store.close()


def p1_event(ticket: str, at: datetime | None = None) -> dict[str, Any]:
    """An ``opened`` P1 in the intake API's format, its id derived from the ticket."""
    return {"id": f"{ticket}-opened", "at": (at or datetime.now(UTC)).isoformat(),
            "ticket": ticket, "type": "opened", "title": f"Checkout fails ({ticket})",
            "account": "Acme", "users_affected_pct": 60, "workaround": "none",
            "severity": "P1"}


def post_events(port: int, token: str, events: Any, timeout: float = 10.0) -> dict[str, Any]:
    """POST /api/v1/events; returns the JSON answer (raises HTTPError on 4xx/5xx)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/events", data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return dict(json.load(reply))


def wall(monotonic: float) -> datetime:
    """The wall-clock instant of a ``time.monotonic()`` reading of this process (the
    fake servers stamp requests with it)."""
    return datetime.fromtimestamp(time.time() - (time.monotonic() - monotonic), UTC)


class Helpdesk(threading.Thread):
    """Opens a P1 (``PREFIX-0000``, ...) about every ``every`` seconds at one of the
    live instances in ``ports`` (name -> HTTP port; change it under ``lock``). A post
    that fails (the instance died under it) is sent again, same event id, elsewhere:
    the intake API stores it once."""

    def __init__(self, token: str, ports: dict[str, int], every: float, seed: int,
                 prefix: str = "P1") -> None:
        super().__init__(daemon=True, name="helpdesk")
        self.token, self.ports, self.every, self.prefix = token, ports, every, prefix
        self.rng = random.Random(seed)
        self.accepted: list[str] = []
        self.posted: dict[str, float] = {}  # ticket -> time.monotonic() at its 200
        self.retried = 0
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        n = 0
        while not self.halt.wait(self.every):
            event = p1_event(f"{self.prefix}-{n:04d}")
            while not self.halt.is_set():
                with self.lock:
                    port = self.rng.choice(list(self.ports.values()))
                try:
                    post_events(port, self.token, event, timeout=5)
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    self.retried += 1
                    self.halt.wait(0.1)
                    continue
                self.posted[event["ticket"]] = time.monotonic()
                self.accepted.append(event["ticket"])
                n += 1
                break
