from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from .services import (
    FILING_SLICE_SECONDS,
    submissions_file,
    submissions_purge,
    submissions_sweep,
    submissions_waiting,
)


@db_task(retries=2, retry_delay=5)
def file_submissions() -> None:
    """File what the form and the API accepted (``inbox.services.submissions_file``), one
    slice at a time: a backlog left after the slice is continued by a new task, queued behind
    the deliveries (priority) the slice queued."""
    if HUEY.immediate:
        submissions_file()
        return
    submissions_file(seconds=FILING_SLICE_SECONDS)
    if submissions_waiting():
        file_submissions()


# Periodic: what a lost task or a dead worker left behind.
@db_periodic_task(crontab(minute="*"))
def sweep_submissions() -> None:
    submissions_sweep()


# Daily: filed rows past their retention (the tickets hold what they held).
@db_periodic_task(crontab(minute="41", hour="3"))
def purge_submissions() -> None:
    submissions_purge()
