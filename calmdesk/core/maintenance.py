"""Database housekeeping."""

from __future__ import annotations


def sqlite_refresh_statistics() -> bool:
    """Refresh SQLite's planner statistics (sampled, so it stays quick on large tables).

    Some queries (the dashboard's event counts, the queue by team) pick their index by the
    statistics; PostgreSQL keeps its own, SQLite only with ANALYZE. Returns False elsewhere.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    return True
