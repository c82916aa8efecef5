from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from .services import (
    FILING_LINGER_SECONDS,
    submissions_file,
    submissions_purge,
    submissions_sweep,
)


@db_task(retries=2, retry_delay=5)
def file_submissions() -> None:
    """File what the form and the API accepted (``inbox.services.submissions_file``)."""
    submissions_file(linger=0.0 if HUEY.immediate else FILING_LINGER_SECONDS)


# Periodic: what a lost task or a dead worker left behind.
@db_periodic_task(crontab(minute="*"))
def sweep_submissions() -> None:
    submissions_sweep()


# Daily: filed rows past their retention (the tickets hold what they held).
@db_periodic_task(crontab(minute="41", hour="3"))
def purge_submissions() -> None:
    submissions_purge()
