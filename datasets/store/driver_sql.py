"""Prebuilt statements run straight on the database driver: the fast lane of hot paths.

SQLAlchemy Core spends a fraction of a millisecond of CPU on every statement it executes (the
compiled-cache lookup, an execution context, bind and result processing, a result object).
For the two statements every annotator's submit->next cycle runs on PostgreSQL, that was more
than half of the client's CPU per cycle, and with fifty annotators in one server process the
CPU (not the database) was what they waited for. A :class:`DriverStatement` compiles a Core
statement once per dialect to the driver's SQL and bind processors; :meth:`DriverStatement.first`
runs it on the connection's DBAPI cursor, inside the caller's SQLAlchemy transaction.

What still holds: the engine's ``before_cursor_execute`` listeners see every statement (so
:class:`~voxcart.datasets.store.round_trips.StatementCounter` counts them), driver errors come
back as SQLAlchemy's exceptions (``IntegrityError`` ...), and a connection the server dropped is
invalidated. What does not: result rows are the driver's values, without SQLAlchemy's result
processing (an Enum column comes back as its stored string). Statements that need SQLAlchemy
at execution are refused when first compiled, with the reason: expanding ``IN`` parameters
(write the constants into the SQL) and Python-side column defaults (bind every value).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class DriverStatementError(ValueError):
    """A statement that cannot run on the driver lane (bad parameter style or binds)."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    compiler: SQLCompiler
    processors: dict[str, Callable[[Any], Any]]


class DriverStatement:
    """A Core statement compiled once per dialect and run on the DBAPI cursor.

    Build it once (at module level or in a cached property) and call :meth:`first` with a
    connection and the bound values, by bind name::

        LOCK = DriverStatement(select(Clip.duration_s).where(Clip.id == bindparam("clip_id")))
        row = LOCK.first(conn, {"clip_id": 7})
    """

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def statement(self) -> ClauseElement:
        """The Core statement (to run it through SQLAlchemy instead, e.g. as a baseline)."""
        return self._statement

    def sql(self, dialect: Dialect) -> str:
        """The statement's SQL as the driver receives it for `dialect`."""
        return self._compiled(dialect).sql

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is not None:
            return found
        if dialect.paramstyle not in ("pyformat", "named"):
            raise DriverStatementError(
                f"the {dialect.name} driver's paramstyle {dialect.paramstyle!r} is positional; "
                "the driver lane binds by name (pyformat or named)"
            )
        compiled = self._statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler):
            raise DriverStatementError(f"{type(self._statement).__name__} is not an SQL statement")
        post = getattr(compiled, "post_compile_params", ())
        if post:
            names = ", ".join(sorted(compiled.bind_names[p] for p in post))
            raise DriverStatementError(
                f"bind parameter(s) {names} expand at execution (IN lists); write the "
                "constants into the SQL (literal_column) to run the statement on the driver lane"
            )
        prefetch = [
            *getattr(compiled, "insert_prefetch", ()),
            *getattr(compiled, "update_prefetch", ()),
        ]
        if prefetch:
            names = ", ".join(sorted(column.key for column in prefetch))
            raise DriverStatementError(
                f"column(s) {names} take a default computed in Python, which only SQLAlchemy's "
                "execution applies; bind a value for each to run the statement on the driver lane"
            )
        processors: dict[str, Callable[[Any], Any]] = {}
        for bind in compiled.binds.values():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[compiled.bind_names[bind]] = process
        made = _Compiled(compiled.string, compiled, processors)
        self._by_dialect[dialect] = made
        return made

    def first(self, conn: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run the statement in `conn`'s transaction; its first row (driver values), or None.

        Raises:
            sqlalchemy.exc.DBAPIError: the driver's error, as SQLAlchemy's subclass of it
                (``IntegrityError``, ``OperationalError`` ...).
            sqlalchemy.exc.InvalidRequestError: a bind parameter without a value.
        """
        dialect = conn.dialect
        compiled = self._compiled(dialect)
        params = dict(compiled.compiler.construct_params(values) or {})
        for name, process in compiled.processors.items():
            params[name] = process(params[name])
        proxied = conn.connection
        cursor = proxied.cursor()
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, compiled.sql, params, None, False)
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone() if cursor.description is not None else None
        except dialect.loaded_dbapi.Error as exc:
            disconnected = dialect.is_disconnect(exc, proxied.dbapi_connection, cursor)
            if disconnected:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                compiled.sql,
                params,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=disconnected,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()
        return None if row is None else tuple(row)
