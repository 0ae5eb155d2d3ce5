"""People, their roles, and what the shared database refused: plain values.

A person is a login of the shared PostgreSQL database. Their ``role`` (a PostgreSQL
group role: agent, lead, commander, admin or service) says what they may do to the
log; their ``matrix_roles`` (``support_lead``, ``cto``...) name the rows of the
matrix's decision-authority table they hold, so an approval names a real person.
The server enforces all of it (``docs/security.md``); the console only reads it to
show people what they may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .matrix.model import Matrix

AGENT, LEAD, COMMANDER, ADMIN, SERVICE = "agent", "lead", "commander", "admin", "service"
ROLES = (AGENT, LEAD, COMMANDER, ADMIN, SERVICE)
# a login that is not a person but a superuser of the server (the DBA who installs it):
# the server does not check it, so neither does the console
SUPERUSER = "superuser"
PUBLISHERS = frozenset({LEAD, ADMIN, SUPERUSER})


@dataclass(frozen=True, slots=True)
class Person:
    """Who a console's database login is, as the server says."""

    login: str
    display_name: str = ""
    role: str = AGENT
    matrix_roles: tuple[str, ...] = ()
    disabled: bool = False

    @property
    def name(self) -> str:
        return self.display_name or self.login

    @property
    def may_publish(self) -> bool:
        """Publish and restore matrix versions (leads and admins)."""
        return self.role in PUBLISHERS and not self.disabled

    def holds(self, matrix_role: str) -> bool:
        """Whether this person holds ``matrix_role`` (a superuser holds every one)."""
        return self.role == SUPERUSER or matrix_role in self.matrix_roles

    def to_json(self) -> dict[str, Any]:
        return {"login": self.login, "display_name": self.display_name, "role": self.role,
                "matrix_roles": list(self.matrix_roles), "disabled": self.disabled}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        return cls(str(data["login"]), str(data.get("display_name", "")),
                   str(data.get("role", AGENT)),
                   tuple(str(r) for r in data.get("matrix_roles", ())),
                   bool(data.get("disabled", False)))


@dataclass(frozen=True, slots=True)
class Refused:
    """An event this console wrote that the shared database refused, with its reason.
    It is out of the log and the projection; this record keeps what the person wrote."""

    event_id: str
    ticket: str
    kind: str
    payload: dict[str, Any]
    author: str
    at: datetime
    reason: str
    refused_at: datetime
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def describe(self) -> str:
        """One line for lists: ``INC-12 matrix_published: only a lead ...``."""
        return f"{self.ticket} {self.kind.replace('_', ' ')}: {self.reason}"


def authority_rows(matrix: Matrix) -> list[dict[str, Any]]:
    """The matrix's decision-authority table as JSON rows, carried by every
    ``matrix_published`` event so the server can check approvals against the matrix in
    force: ``{"action", "role", "limit" (None: no limit), "severities" (None: any)}``."""
    return [{"action": a.action, "role": a.role, "limit": a.limit,
             "severities": None if a.severities is None else sorted(a.severities)}
            for a in matrix.authority]
