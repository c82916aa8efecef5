from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .selectors import tickets_due_for_recheck

log = logging.getLogger(__name__)

BATCH = 500
MAX_BATCHES = 20  # at most 10,000 tickets a run; the next run takes the rest


# Periodic: re-triage tickets whose date conditions may have changed their answer
# (e.g. a departure now within 7 days becomes urgent and moves to the top of the queue).
@db_periodic_task(crontab(minute="*/10"))
def retriage_due_tickets() -> None:
    from calmdesk.tickets.services import ticket_retriage

    now = timezone.now()
    seen: set[int] = set()
    for _batch in range(MAX_BATCHES):
        ids = [i for i in tickets_due_for_recheck(now=now, limit=BATCH) if i not in seen]
        for ticket_id in ids:
            seen.add(ticket_id)
            try:
                ticket_retriage(ticket_id=ticket_id, now=now)
            except Exception:  # one bad ticket must not hold back the others
                log.exception("re-triage of ticket %s failed", ticket_id)
        if len(ids) < BATCH:
            break
