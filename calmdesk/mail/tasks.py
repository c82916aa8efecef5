from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import inbound_replay_all_stuck


# Periodic: process again the emails stored but never processed (a crash between storing the
# raw bytes and processing them); after five attempts they show as failed on the health page.
@db_periodic_task(crontab(minute="*/5"))
def replay_stuck_inbound() -> None:
    inbound_replay_all_stuck()
