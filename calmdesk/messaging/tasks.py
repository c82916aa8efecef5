from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services import webhook_process, webhook_sweep


@db_task(retries=2, retry_delay=30)
def process_webhook_delivery(delivery_id: int) -> None:
    webhook_process(delivery_id=delivery_id)


# Periodic: process webhook deliveries whose task was lost, and retry failed ones with backoff
# (a receipt that came before its message was marked sent, a database hiccup).
@db_periodic_task(crontab(minute="*"))
def sweep_webhook_deliveries() -> None:
    webhook_sweep()
