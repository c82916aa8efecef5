"""``field__literal_in``: IN with its values written into the SQL.

SQLite uses a partial index only when the query repeats the index's WHERE condition literally;
Django sends ``status IN (%s, %s)`` with parameters, which hides it, and the queue query then
scans the whole table (1.5 s instead of 8 ms at a million tickets). Use this lookup, with the
same values in the same order as the index condition, on every query that must use a partial
index on a choice field. Only plain choice values ([a-z0-9_-]) are accepted, so nothing a user
typed can reach the SQL.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import CharField
from django.db.models.lookups import In

_SAFE = re.compile(r"[a-z0-9_-]{1,40}")


@CharField.register_lookup
class LiteralIn(In):
    lookup_name = "literal_in"

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        values = [str(value) for value in self.rhs]
        if not values or not all(_SAFE.fullmatch(value) for value in values):
            raise ValueError(f"literal_in takes plain choice values, not {values!r}")
        return "(" + ", ".join(f"'{value}'" for value in values) + ")", ()
