from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import chat_sweep_left


# Periodic: chats whose visitor left and did not come back continue by email.
@db_periodic_task(crontab(minute="*"))
def sweep_left_chats() -> None:
    chat_sweep_left()
