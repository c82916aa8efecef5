from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .outbox import outbox_deliver, outbox_sweep


@db_task(retries=3, retry_delay=10)
def deliver_outbox_message(outbox_id: int) -> None:
    outbox_deliver(outbox_id=outbox_id)


# Periodic: re-drive outbox rows whose delivery task was lost or whose retry time has come.
@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    outbox_sweep()
