"""Hot Core statements compiled once and run on the DBAPI cursor, on SQLite.

`connection.execute(statement, params)` costs SQLAlchemy tens of microseconds per statement
and per parameter: it computes the statement's cache key (walking every branch of it), looks
the compiled form up, processes every bound value and wraps the result. For intake's
registration that was more than the database's own work: the duplicate lookup's 50-branch
statement (102 positional parameters) took 1.9 ms of CPU through SQLAlchemy and 0.8 ms on
the raw sqlite3 cursor; the 50 band rows of a new complaint, 0.8 ms as an executemany
(issue #15, docs/performance.md figure set 0b).

A `Prebuilt` statement is compiled once per dialect; each execution maps the parameters to
their positions with the types' own bind processors (so a `UTCDateTime` is stored exactly as
SQLAlchemy stores it) and runs the SQL on the connection's DBAPI cursor, inside the
transaction the connection has begun (its BEGIN, and on SQLite the kernel's writer turn,
are SQLAlchemy's as usual). Errors come back as SQLAlchemy's own exceptions, so a full disk
is still a 503 (`db.storage_refusal`) and a unique key an `IntegrityError`.

Only on SQLite; on any other database `execute` is `connection.execute` unchanged. Rows come
back as the DBAPI's tuples without result processing: select only columns that need none
(text, integers), and no expanding (`IN`) parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Select, exc
from sqlalchemy.sql.compiler import Compiled

_Position = tuple[str | None, Any]  # the parameter's name, or None and the literal's value
_Processors = dict[str, Callable[[Any], Any] | None]  # each parameter's bind processor


class Prebuilt:
    """A Core statement with named bind parameters, compiled once per dialect."""

    def __init__(self, statement: Select[Any] | Insert) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, list[_Position], _Processors]] = {}

    def _for(self, connection: Connection) -> tuple[str, list[_Position], _Processors]:
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled: Compiled = self.statement.compile(dialect=dialect)
            positions: list[_Position] = []
            processors: _Processors = {}
            for name in compiled.positiontup or ():  # type: ignore[attr-defined]
                bind = compiled.binds[name]  # type: ignore[attr-defined]
                if bind.expanding:
                    raise ValueError(f"{name}: expanding parameters are not prebuilt")
                processor = bind.type.bind_processor(dialect)
                # A literal of the statement (a band number, a LIMIT) has its value; a
                # `bindparam("x")` is filled from the parameters at each execution.
                if bind.required:
                    positions.append((bind.key, None))
                    processors[bind.key] = processor
                else:
                    value = bind.value
                    positions.append((None, processor(value) if processor else value))
            found = (str(compiled), positions, processors)
            self._compiled[dialect.name] = found
        return found

    @staticmethod
    def _values(
        positions: list[_Position], processors: _Processors, params: Mapping[str, Any]
    ) -> list[Any]:
        # Each parameter is processed once, however many branches repeat it (the lookup's
        # window bounds: 100 positions, 2 values).
        done = {
            key: processor(params[key]) if processor is not None else params[key]
            for key, processor in processors.items()
        }
        return [fixed if key is None else done[key] for key, fixed in positions]

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The statement's rows (none for a statement that returns none)."""
        if connection.dialect.name != "sqlite" or not connection.in_transaction():
            result = connection.execute(self.statement, dict(params))
            return list(result) if result.returns_rows else []
        sql, positions, processors = self._for(connection)
        values = self._values(positions, processors, params)
        return self._run(connection, sql, values, lambda cursor: cursor.execute(sql, values))

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """The statement once per row of parameters (an insert's executemany)."""
        if not rows:
            return
        if connection.dialect.name != "sqlite" or not connection.in_transaction():
            connection.execute(self.statement, [dict(row) for row in rows])
            return
        sql, positions, processors = self._for(connection)
        values = [self._values(positions, processors, row) for row in rows]
        self._run(connection, sql, values, lambda cursor: cursor.executemany(sql, values))

    @staticmethod
    def _run(
        connection: Connection, sql: str, values: Any, call: Callable[[Any], Any]
    ) -> list[Sequence[Any]]:
        dbapi = connection.dialect.loaded_dbapi
        cursor = connection.connection.cursor()
        try:
            call(cursor)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except dbapi.Error as error:
            raise exc.DBAPIError.instance(
                sql, values, error, dbapi.Error, dialect=connection.dialect
            ) from error
        finally:
            cursor.close()
