"""Notification chains: primary, then backup, then the next step, repeated N times,
then an optional follow-on chain. Acknowledgement stops a chain (the engine checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .durations import format_duration
from .fires import Fire
from .matrix.model import Chain, ChainStep, Matrix


@dataclass(slots=True)
class ChainRun:
    chain: str
    started_at: datetime
    step: int = 0
    round: int = 0
    stage: str = "primary"  # primary | backup
    next_at: datetime | None = None


def _notify(matrix: Matrix, ticket: str, severity: str, run: ChainRun, step: ChainStep,
            at: datetime, reason: str, context: dict[str, Any]) -> Fire:
    contact = step.primary if run.stage == "primary" else step.backup
    names = {c.id: c.name for c in matrix.contacts}
    name = names.get(contact, contact) if contact else contact
    extra = {**context, "chain": run.chain, "step": run.step + 1, "round": run.round + 1,
             "role": run.stage, "contact": contact, "contact_name": name,
             "channel": step.channel}
    if step.cc and run.stage == "primary":
        extra["cc"] = list(step.cc)
    if step.ack_timeout is not None:
        extra["ack_timeout"] = format_duration(step.ack_timeout)
    return Fire(at, ticket, "notify", reason, severity=severity, extra=extra)


def _arm(run: ChainRun, step: ChainStep, at: datetime) -> None:
    run.next_at = at + step.ack_timeout if step.ack_timeout is not None else None


def start_chain(matrix: Matrix, ticket: str, severity: str, runs: dict[str, ChainRun],
                chain_id: str, at: datetime, reason: str, context: dict[str, Any]
                ) -> list[Fire]:
    """Notify the first step's primary and arm its acknowledgement timeout."""
    chain = matrix.chains[chain_id]
    run = ChainRun(chain_id, at)
    runs[chain_id] = run
    step = chain.steps[0]
    _arm(run, step, at)
    return [_notify(matrix, ticket, severity, run, step, at, reason, context)]


def _next_position(chain: Chain, run: ChainRun) -> bool:
    """Move the run to its next recipient; False when the chain is exhausted."""
    step = chain.steps[run.step]
    if run.stage == "primary" and step.backup:
        run.stage = "backup"
        return True
    run.stage = "primary"
    run.step += 1
    if run.step < len(chain.steps):
        return True
    run.step = 0
    run.round += 1
    return run.round < chain.repeat


def advance_chain(matrix: Matrix, ticket: str, severity: str, runs: dict[str, ChainRun],
                  chain_id: str, at: datetime, context: dict[str, Any]) -> list[Fire]:
    """Nobody acknowledged in time: notify the next recipient (or the follow-on chain)."""
    run = runs[chain_id]
    chain = matrix.chains[chain_id]
    previous = chain.steps[run.step]
    who = previous.primary if run.stage == "primary" else previous.backup
    timeout = format_duration(previous.ack_timeout) if previous.ack_timeout else "?"
    reason = f"no acknowledgement from {who} within {timeout}"
    if _next_position(chain, run):
        step = chain.steps[run.step]
        _arm(run, step, at)
        return [_notify(matrix, ticket, severity, run, step, at, reason, context)]
    run.next_at = None
    if chain.next and chain.next not in runs:
        return start_chain(matrix, ticket, severity, runs, chain.next, at,
                           f"{reason}; chain {chain_id} exhausted", context)
    return [Fire(at, ticket, "chain_exhausted", f"{reason}; chain {chain_id} exhausted",
                 severity=severity, extra={**context, "chain": chain_id})]
