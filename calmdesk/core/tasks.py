from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .maintenance import sqlite_refresh_statistics
from .outbox import outbox_deliver, outbox_sweep


# Before other tasks (priority): acknowledgements and replies must not wait behind a surge's
# filing of accepted requests.
@db_task(retries=3, retry_delay=10, priority=10)
def deliver_outbox_message(outbox_id: int) -> None:
    outbox_deliver(outbox_id=outbox_id)


# Periodic: re-drive outbox rows whose delivery task was lost or whose retry time has come.
@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    outbox_sweep()


# Periodic: keep SQLite's planner statistics fresh as the desk grows (no-op on PostgreSQL).
@db_periodic_task(crontab(minute="17"))
def refresh_sqlite_statistics() -> None:
    sqlite_refresh_statistics()
