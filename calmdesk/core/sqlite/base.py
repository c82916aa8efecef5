"""Django's SQLite backend with the writer gate (``gate.py``) around every write transaction.

Calmdesk opens its transactions with ``BEGIN IMMEDIATE`` (the write lock at once, see
``config/settings.py``): the gate is taken just before and let go at the commit or rollback.
A single statement in autocommit mode is not gated (SQLite's lock alone orders it) unless a
service asks for the gate with ``gated()``, as the intake does for its id and its insert.
In-memory databases have no file to gate on and behave exactly as Django's.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from django.db.backends.sqlite3 import base

from .gate import WriterGate

# Longer statements (an IN list of many ids) are converted each time, not kept.
_CACHED_QUERY_CHARS = 4000


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, with the "format" → "qmark" conversion of a statement remembered: the
    ORM sends the same few statements again and again, and the regular expression was a
    tenth of the intake's database time."""

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None and len(query) <= _CACHED_QUERY_CHARS:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    writer_gate: WriterGate | None = None
    _gate_of_transaction = False  # the open transaction took the gate (and lets go of it)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        if self.writer_gate is None and not self.is_in_memory_db():
            name = str(self.settings_dict["NAME"])
            if not name.startswith("file:"):  # a URI filename: no plain path to put a gate by
                self.writer_gate = WriterGate(name)
        return conn

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def _gate_timeout(self) -> float:
        # As long as SQLite's own busy timeout: a writer waits no longer than it did before.
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _start_transaction_under_autocommit(self) -> None:
        gate = self.writer_gate
        # Inside ``gated()`` the gate is held already, and stays held until ``gated()`` ends.
        if gate is not None and not gate.held:
            gate.acquire(self._gate_timeout())
            self._gate_of_transaction = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_transaction_gate()
            raise

    def _end_transaction_gate(self) -> None:
        if self._gate_of_transaction and self.writer_gate is not None:
            self.writer_gate.release()
        self._gate_of_transaction = False

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_transaction_gate()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_transaction_gate()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self.writer_gate is not None:
                self.writer_gate.close()
                self.writer_gate = None
            self._gate_of_transaction = False

    @contextlib.contextmanager
    def gated(self) -> Iterator[None]:
        """Hold the gate across autocommitted statements (a transaction holds it already)."""
        gate = self.writer_gate
        if gate is None or self.in_atomic_block or gate.held:
            yield
            return
        gate.acquire(self._gate_timeout())
        try:
            yield
        finally:
            gate.release()
