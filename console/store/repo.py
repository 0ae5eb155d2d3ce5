"""The base every repository of a unit of work shares: its session, and a guard that
refuses writes in a read-only unit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .errors import StoreError


class Repo:
    def __init__(self, session: Session, writable: bool) -> None:
        self._s = session
        self._writable = writable

    def _writing(self) -> Session:
        if not self._writable:
            raise StoreError("this unit of work is read-only; open it with store.unit()")
        return self._s
