"""Thin Huey tasks of the phone app: ids in, one service, quiet when the row is gone."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services import call_finalize, callbacks_advance, calls_sweep


@db_task(retries=3, retry_delay=10)
def finalize_call(call_id: int) -> None:
    call_finalize(call_id=call_id)


# Periodic: callbacks whose window started enter the queue; windows that ended unreached are
# missed (the ticket back in the queue, the customer told).
@db_periodic_task(crontab(minute="*"))
def advance_callbacks() -> None:
    callbacks_advance()


# Periodic: write ended calls whose finalize task was lost to their tickets; close calls the
# phone system never reported as ended.
@db_periodic_task(crontab(minute="*"))
def sweep_calls() -> None:
    calls_sweep()
