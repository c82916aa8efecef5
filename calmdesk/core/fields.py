"""Model fields of Calmdesk's own."""

from __future__ import annotations

from typing import Any

from django.db import models


class RowIdBigIntegerField(models.BigIntegerField):
    """A 64-bit primary key the application assigns itself, stored on SQLite as the table's
    ``rowid``.

    Django writes a ``BigIntegerField`` as ``bigint``, and SQLite makes only a column declared
    exactly ``integer PRIMARY KEY`` the rowid: any other primary key is a second B-tree beside
    the table, written on every insert (one more page per intake in a surge). SQLite's
    ``integer`` holds 64 bits, so nothing changes but the storage; PostgreSQL keeps ``bigint``.
    """

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite" and self.primary_key:
            return "integer"
        return super().db_type(connection)
