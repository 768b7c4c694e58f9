"""Counting the SQL statements and transactions an engine runs: what a code path costs in
database round trips, as a number that does not depend on the machine's load."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

_DIRTY = "voxcart_round_trips_dirty"


@dataclass(frozen=True)
class StatementTally:
    """Statements and transactions counted on one engine.

    Attributes:
        statements: SQL statements sent (an ``executemany`` counts once).
        transactions: transactions that ran at least one statement and ended (commit or
            rollback).
    """

    statements: int
    transactions: int

    @property
    def round_trips(self) -> int:
        """Client-server exchanges on PostgreSQL: each statement, plus the ``BEGIN`` and the
        ``COMMIT`` (or ``ROLLBACK``) that psycopg sends on their own for each transaction."""
        return self.statements + 2 * self.transactions

    def __sub__(self, other: StatementTally) -> StatementTally:
        return StatementTally(
            self.statements - other.statements, self.transactions - other.transactions
        )


class StatementCounter:
    """Counts the statements and transactions of an engine while installed (all threads).

    Use as a context manager; :meth:`tally` reads the counts so far::

        with StatementCounter(project.engine) as counter:
            before = counter.tally()
            ...
            used = counter.tally() - before
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._statements = 0
        self._transactions = 0

    def tally(self) -> StatementTally:
        """The counts since the counter was installed."""
        with self._lock:
            return StatementTally(self._statements, self._transactions)

    def _on_execute(self, conn: Any, *_args: Any) -> None:
        conn.info[_DIRTY] = True
        with self._lock:
            self._statements += 1

    def _on_end(self, conn: Any) -> None:
        # A transaction that ran no statement sent nothing (psycopg skips BEGIN and COMMIT).
        if conn.info.pop(_DIRTY, False):
            with self._lock:
                self._transactions += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        event.listen(self._engine, "commit", self._on_end)
        event.listen(self._engine, "rollback", self._on_end)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)
        event.remove(self._engine, "commit", self._on_end)
        event.remove(self._engine, "rollback", self._on_end)
