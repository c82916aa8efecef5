from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import sla_raise_due_alerts


# Periodic: raise the "urgent request without an agent reply" alert on tickets now due.
@db_periodic_task(crontab(minute="*/5"))
def raise_due_alerts() -> None:
    sla_raise_due_alerts()
