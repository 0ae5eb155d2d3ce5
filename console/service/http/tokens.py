"""Bearer tokens of the intake API, kept as hashes in the shared database, and the
per-token rate limit.

A token is ``ect_`` + 32 random bytes (URL-safe base64). The table holds its SHA-256,
not the token: the token is printed once by ``serve tokens add`` and never stored.
SHA-256 and not bcrypt/argon2 because those slow hashes protect *guessable* secrets
(passwords) against offline guessing; a 256-bit random token cannot be guessed whatever
the hash, and a fast hash lets every request be checked by one indexed lookup instead
of ~100 ms of deliberate CPU per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg

from console.store.server import SharedDatabase

PREFIX = "ect_"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]{0,79}")


class TokenError(ValueError):
    """A token command cannot be done (bad name, name taken, no such token)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise TokenError(f"{name!r} is not a token name: use letters, digits, '_' and '.', "
                         "at most 80 characters, e.g. zendesk")
    return name


class TokenStore:
    """``api_tokens`` in the shared database (migration 0005)."""

    def __init__(self, db: SharedDatabase) -> None:
        self.db = db

    def add(self, name: str) -> str:
        """Create a token for the integration ``name``; returns the token (shown once)."""
        check_name(name)
        token = PREFIX + secrets.token_urlsafe(32)

        def work(conn: psycopg.Connection) -> bool:
            row = conn.execute(
                "INSERT INTO api_tokens (name, token_hash, prefix) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING id",
                (name, hash_token(token), token[:len(PREFIX) + 4])).fetchone()
            return row is not None

        if not self.db.transaction("adding a token to", work):
            raise TokenError(f"a live token named {name!r} exists; revoke it first "
                             f"('serve tokens revoke {name}')")
        return token

    def revoke(self, name: str) -> None:
        def work(conn: psycopg.Connection) -> int:
            return conn.execute("UPDATE api_tokens SET revoked_at = now() "
                                "WHERE name = %s AND revoked_at IS NULL", (name,)).rowcount

        if not self.db.transaction("revoking a token on", work):
            raise TokenError(f"no live token named {name!r} ('serve tokens list' shows them)")

    def list(self) -> list[TokenInfo]:
        def work(conn: psycopg.Connection) -> list[tuple[str, str, datetime, datetime | None]]:
            return conn.execute("SELECT name, prefix, created_at, revoked_at FROM api_tokens "
                                "ORDER BY name, created_at").fetchall()

        return [TokenInfo(*row) for row in self.db.transaction("listing tokens on", work)]

    def verify(self, token: str) -> str | None:
        """The integration's name for a live token, else None. One indexed lookup by
        hash, so a revocation applies to the very next request on every instance."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)

        def work(conn: psycopg.Connection) -> tuple[str] | None:
            return conn.execute("SELECT name FROM api_tokens WHERE token_hash = %s "
                                "AND revoked_at IS NULL", (digest,)).fetchone()

        row = self.db.transaction("checking a token on", work)
        return None if row is None else str(row[0])


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second on average, bursts of up to
    ``burst``. Thread-safe; the clock is injectable for tests."""

    def __init__(self, rate: float, burst: int,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, burst
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a request may go ahead (and is counted), else the seconds until one
        may (for Retry-After)."""
        now = self._monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
