"""The dispatcher: sends due deliveries from the durable outbox, exactly once across
consoles where the channel allows it.

One pass over a lane (a channel) at ``now``:

1. take the due deliveries, most severe first;
2. skip chain steps whose ticket was acknowledged or resolved after the step fired;
3. fail over the ones still unsent past their step's deadline to the recipient's next
   channel;
4. hold the external ones (every channel but desktop) while ``may_send`` says no: a
   standby service, or a console while a service is live; nothing is claimed or
   counted, and the ones another instance finished are marked as such;
5. claim the cluster-wide ones in the shared database: only the console that wins a
   key sends it; a key another console sent is skipped; a live claim of another
   console is checked again after its lease (if that console died, its claim goes
   stale and is taken over). Offline, PagerDuty sends anyway (its dedup_key folds
   duplicates); other channels wait ``offline_grace`` seconds for a claim first; a
   fenced claim (this instance lost the service lease) is held like step 4;
6. send per target bucket (one webhook, one SMTP server, one routing key), honouring
   the bucket's pacing and any ``Retry-After``; Slack and Teams put a backlog in one
   digest message; ``may_send`` is asked again right before every external send;
7. record every outcome in one local transaction: sent; retry with backoff (or after
   Retry-After); failed over; or dead (a dead letter, listed in the UI for a retry).

The dispatcher never sleeps; the runner calls it when something falls due.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .channels.base import Channel, DeliveryResult, Target
from .outbox_types import Claims, Outbox, PassReport, RetryPolicy
from .plan import Planner

__all__ = ["NOT_MINE", "Claims", "Dispatcher", "Outbox", "PassReport", "RetryPolicy"]
log = logging.getLogger(__name__)
SecretLookup = Callable[[str, str], tuple[str, str | None]]  # (channel, address) -> (ref, secret)
StopCheck = Callable[[str, datetime], str | None]  # (ticket, fired at) -> why stopped, or None


NOT_MINE = "not sending: another instance pages (this one is standing by)"


class Dispatcher:
    """``may_send`` (None: always) gates every external send: False keeps the delivery
    pending, rechecked after ``gate_interval`` seconds, with no attempt counted."""

    def __init__(self, outbox: Outbox, channels: dict[str, Channel], secrets: SecretLookup,
                 *, claims: Claims | None = None, policy: RetryPolicy | None = None,
                 offline_grace: float = 120.0, stopped: StopCheck | None = None,
                 on_result: Callable[[Any, DeliveryResult], None] | None = None,
                 clock: Callable[[], datetime] | None = None, seed: int | None = None,
                 may_send: Callable[[], bool] | None = None, gate_interval: float = 1.0,
                 secret_hint: Callable[[str], str] | None = None) -> None:
        """``secret_hint(ref)`` says where this installation keeps the secret ``ref``
        (a server: its environment variable or credential); it replaces the channel's
        desktop wording when a delivery fails for want of one."""
        self.outbox = outbox
        self.channels = channels
        self.secrets = secrets
        self.claims = claims
        self.policy = policy or RetryPolicy()
        self.offline_grace = offline_grace
        self.stopped = stopped
        self.on_result = on_result
        self.clock = clock
        self.rng = random.Random(seed)
        self.may_send = may_send
        self.gate_interval = gate_interval
        self.secret_hint = secret_hint
        self.online: bool | None = None if claims is not None else False
        self.last_claim_error = ""
        self._blocked: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    # -- public -------------------------------------------------------------------------
    def blocked_until(self, channel: str, ref: str) -> datetime | None:
        with self._lock:
            return self._blocked.get((channel, ref))

    def dispatch(self, now: datetime, lanes: Sequence[str] | None = None,
                 limit: int = 200) -> PassReport:
        report = PassReport()
        rows = self.outbox.due(now, lanes, limit)
        if not rows:
            return report
        outcomes: list[dict[str, Any]] = []
        live = self._screen(rows, now, outcomes, report)
        live = self._gate(live, now, outcomes, report)
        live = self._claim(live, now, outcomes, report)
        self.outbox.record(outcomes)
        if not live:
            return report
        self.outbox.mark_sending([r.id for r in live])
        finished: dict[str, list[str]] = {"sent": [], "dead": []}
        outcomes = []
        for (channel_name, ref), (secret, items) in self._buckets(live).items():
            channel = self.channels[channel_name]
            size = max(1, getattr(channel, "max_batch", 1))
            chunks = [items[i:i + size] for i in range(0, len(items), size)]
            for n, chunk in enumerate(chunks):
                at = self._now(now)
                until = self.blocked_until(channel_name, ref)
                if until is not None and until > at:
                    rest = [r for c in chunks[n:] for r, _ in c]
                    report.held += len(rest)
                    outcomes += [{"id": r.id, "status": "pending", "attempts": r.attempts,
                                  "next_attempt_at": until} for r in rest]
                    break
                if self._external(channel_name) and not self.paging():
                    rest = [r for c in chunks[n:] for r, _ in c]  # lost the lease just now
                    outcomes += self._hold(rest, at, report)
                    self._release([r.key for r in rest])
                    break
                batch = [r for r, _ in chunk]
                message = (batch[0].payload["message"] if len(batch) == 1 else
                           {"digest": [r.payload["message"] for r in batch]})
                try:
                    result = channel.send(message, chunk[0][1], secret)
                except Exception as exc:  # a channel bug must not stop the other deliveries
                    log.exception("channel %s crashed", channel_name)
                    result = DeliveryResult.retry(f"{type(exc).__name__}: {exc}")
                if result.missing_secret and self.secret_hint is not None:
                    result = replace(result, error=f"no {channel_name} secret for {ref}: "
                                                   f"{self.secret_hint(ref)}")
                at = self._now(now)
                outcomes += self._outcomes(batch, channel, ref, result, at, report, finished)
                pace = getattr(channel, "min_interval", 0.0)
                if result.ok and pace:
                    self._block(channel_name, ref, at + timedelta(seconds=pace))
                if self.on_result is not None:
                    for r in batch:
                        self.on_result(r, result)
                if not getattr(channel, "idempotent", False) or len(outcomes) >= 50:
                    self.outbox.record(outcomes)  # narrow the resend-after-crash window
                    outcomes = []
        self.outbox.record(outcomes)
        self._finish(finished, now)
        return report

    def _now(self, fallback: datetime) -> datetime:
        return self.clock() if self.clock is not None else fallback

    # -- the gate -------------------------------------------------------------------------
    def _external(self, channel: str) -> bool:
        """Every channel but the desktop (which shows on this console only)."""
        return bool(getattr(self.channels.get(channel), "cluster_wide", True))

    def paging(self) -> bool:
        """Whether this process pages now (``may_send``): the runner's gate too."""
        if self.may_send is None:
            return True
        try:
            return bool(self.may_send())
        except Exception:  # an unknown answer must not page twice
            log.exception("the may_send check failed: holding external deliveries")
            return False

    def _hold(self, rows: Sequence[Any], now: datetime, report: PassReport
              ) -> list[dict[str, Any]]:
        """Back to pending, the attempt (if marked) undone, rechecked shortly."""
        report.held += len(rows)
        return [{"id": r.id, "status": "pending", "attempts": r.attempts, "last_error": NOT_MINE,
                 "next_attempt_at": now + timedelta(seconds=self.gate_interval)} for r in rows]

    def _gate(self, rows: list[Any], now: datetime, outcomes: list[dict[str, Any]],
              report: PassReport) -> list[Any]:
        external = [r for r in rows if self._external(r.channel)]
        if not external or self.paging():
            return rows
        settled: dict[str, tuple[str, str]] = {}
        try:  # what the active instance finished is not pending here any more
            peek = getattr(self.claims, "settled", None)
            settled = peek([r.key for r in external]) if peek is not None else {}
        except Exception as exc:
            log.debug("cannot read the shared claims: %s", exc)
        outcomes += [self._finished(r, *settled[r.key], now, report)
                     for r in external if r.key in settled]
        outcomes += self._hold([r for r in external if r.key not in settled], now, report)
        return [r for r in rows if not self._external(r.channel)]

    def _finished(self, r: Any, state: str, owner: str, now: datetime, report: PassReport
                  ) -> dict[str, Any]:
        """The outcome of a key the shared claims say was sent or is dead."""
        if state == "sent" and owner == getattr(self.claims, "device", owner):
            report.sent += 1
            return {"id": r.id, "status": "sent", "sent_at": now,
                    "last_error": "sent before a restart (shared claim says so)"}
        report.skipped += 1
        return {"id": r.id, "status": "skipped", "external_id": f"elsewhere:{owner}"[:200],
                "last_error": f"{state} by console {owner}"}

    def _release(self, keys: list[str]) -> None:
        try:  # else the claim lease frees them in time
            getattr(self.claims, "release", lambda _keys: None)(keys)
        except Exception as exc:
            log.warning("cannot release %d claims: %s", len(keys), exc)

    # -- steps ----------------------------------------------------------------------------
    def _screen(self, rows: list[Any], now: datetime, outcomes: list[dict[str, Any]],
                report: PassReport) -> list[Any]:
        """Drop acknowledged chain steps; fail over the ones past their deadline."""
        live = []
        for r in rows:
            meta = r.payload.get("meta") or {}
            if self.stopped is not None and meta.get("kind") == "notify":
                why = self.stopped(r.ticket, datetime.fromisoformat(meta["fire_at"]))
                if why:
                    outcomes.append({"id": r.id, "status": "skipped", "last_error": why})
                    report.skipped += 1
                    continue
            deadline = meta.get("deadline")
            if (deadline and r.attempts > 0 and meta.get("options")
                    and now >= datetime.fromisoformat(deadline)):
                outcomes += self._fail_over(r, now, f"not delivered within the step timeout "
                                                    f"({r.last_error})", report)
                continue
            if r.channel not in self.channels:
                outcomes.append({"id": r.id, "status": "dead",
                                 "last_error": f"unknown channel {r.channel!r}"})
                report.dead += 1
                continue
            live.append(r)
        return live

    def _fail_over(self, r: Any, now: datetime, why: str, report: PassReport
                   ) -> list[dict[str, Any]]:
        follow = Planner.failover(r, now)
        if follow is None:
            report.dead += 1
            return [{"id": r.id, "status": "dead", "last_error": why[:2000]}]
        self.outbox.enqueue([follow], now)
        report.failed_over += 1
        return [{"id": r.id, "status": "failed",
                 "last_error": f"{why}; failed over to {follow.channel}"[:2000]}]

    def _claim(self, rows: list[Any], now: datetime, outcomes: list[dict[str, Any]],
               report: PassReport) -> list[Any]:
        wanted = [r for r in rows if (r.payload.get("meta") or {}).get("claim")
                  and getattr(self.channels[r.channel], "cluster_wide", True)]
        if not wanted or self.claims is None:
            return rows
        offline_errors = getattr(self.claims, "unavailable", (OSError,))
        try:
            states = self.claims.claim([r.key for r in wanted], now)
            self.online, self.last_claim_error = True, ""
        except offline_errors as exc:  # the shared database is unreachable: offline
            self.online, self.last_claim_error = False, str(exc)
            if getattr(self.claims, "fence", None) is not None:  # a service cannot prove
                outcomes += self._hold(wanted, now, report)    # it still holds the lease
                return [r for r in rows if r not in wanted]
            return self._offline(rows, wanted, now, outcomes, report)
        lease = timedelta(seconds=self.claims.lease_seconds)
        live = []
        wanted_ids = {r.id for r in wanted}
        for r in rows:
            if r.id not in wanted_ids:
                live.append(r)
                continue
            state, owner, claimed_at = states.get(r.key, ("held", "?", ""))
            if state in ("won", "mine", "taken"):
                live.append(r)
            elif state == "fenced":  # this instance lost the service lease
                outcomes += self._hold([r], now, report)
            elif state in ("sent", "dead"):
                outcomes.append(self._finished(r, state, owner, now, report))
            else:  # held by a live claim elsewhere: look again once its lease could lapse
                try:
                    again = datetime.fromisoformat(claimed_at) + lease + timedelta(seconds=1)
                except ValueError:
                    again = now + lease
                outcomes.append({"id": r.id, "next_attempt_at": max(again, now),
                                 "last_error": f"console {owner} is sending it"})
                report.held += 1
        return live

    def _offline(self, rows: list[Any], wanted: list[Any], now: datetime,
                 outcomes: list[dict[str, Any]], report: PassReport) -> list[Any]:
        hold = set()
        for r in wanted:
            if getattr(self.channels[r.channel], "idempotent", False):
                continue  # PagerDuty: the dedup_key makes a duplicate harmless
            waited = (now - r.created_at).total_seconds()
            if waited >= self.offline_grace:
                continue
            hold.add(r.id)
            retry_in = min(5.0, self.offline_grace - waited)
            outcomes.append({"id": r.id, "next_attempt_at": now + timedelta(seconds=retry_in),
                             "last_error": "waiting for the shared database to claim it: "
                                           f"{self.last_claim_error}"[:2000]})
            report.held += 1
        return [r for r in rows if r.id not in hold]

    def _buckets(self, rows: list[Any]
                 ) -> dict[tuple[str, str], tuple[str | None, list[tuple[Any, Target]]]]:
        """Rows by (channel, secret ref): one webhook, routing key or SMTP server, the
        unit that Retry-After and pacing apply to."""
        out: dict[tuple[str, str], tuple[str | None, list[tuple[Any, Target]]]] = {}
        for r in rows:
            t = r.payload.get("target") or {}
            address = str(t.get("address") or "")
            try:
                ref, secret = self.secrets(r.channel, address)
            except Exception as exc:  # keyring locked or missing
                log.warning("no secret for %s %s: %s", r.channel, address, exc)
                ref, secret = f"{r.channel}:{address}", None
            target = Target(r.channel, address, str(t.get("contact") or ""),
                            str(t.get("contact_name") or ""))
            out.setdefault((r.channel, ref), (secret, []))[1].append((r, target))
        return out

    def _block(self, channel: str, ref: str, until: datetime) -> None:
        with self._lock:
            current = self._blocked.get((channel, ref))
            if current is None or until > current:
                self._blocked[(channel, ref)] = until

    def _outcomes(self, chunk: list[Any], channel: Channel, ref: str, result: DeliveryResult,
                  now: datetime, report: PassReport, finished: dict[str, list[str]]
                  ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        claimed = [r.key for r in chunk if (r.payload.get("meta") or {}).get("claim")
                   and channel.cluster_wide]
        if result.ok:
            report.sent += len(chunk)
            finished["sent"] += claimed
            return [{"id": r.id, "status": "sent", "sent_at": now, "last_error": "",
                     "external_id": result.external_id[:200]} for r in chunk]
        if result.retry_after is not None:
            self._block(channel.name, ref,
                        now + timedelta(seconds=result.retry_after + self.policy.margin))
        for r in chunk:
            attempts = r.attempts + 1
            if result.final or attempts >= self.policy.max_attempts:
                why = result.error if result.final else \
                    f"gave up after {attempts} attempts: {result.error}"
                log.error("%s delivery %s for %s failed: %s", channel.name, r.id[:8],
                          r.ticket, why)
                out += self._fail_over(r, now, why, report)
                if r.key in claimed:
                    finished["dead"].append(r.key)
                continue
            if result.retry_after is not None:
                wait = result.retry_after + self.policy.margin
            else:
                wait = self.policy.backoff(attempts, self.rng)
            log.warning("%s delivery %s for %s failed (attempt %d, retried in %.0f s): %s",
                        channel.name, r.id[:8], r.ticket, attempts, wait, result.error)
            out.append({"id": r.id, "status": "pending", "last_error": result.error[:2000],
                        "next_attempt_at": now + timedelta(seconds=wait)})
            report.retried += 1
        return out

    def _finish(self, finished: dict[str, list[str]], now: datetime) -> None:
        if self.claims is None:
            return
        for status, keys in finished.items():
            if not keys:
                continue
            try:
                self.claims.finish(keys, status, now)
            except Exception as exc:  # recorded locally; the claim lease covers the rest
                log.warning("cannot record %d %s deliveries in the shared database: %s",
                            len(keys), status, exc)
