"""A small incident history, built through the ticket services with explicit times.

The incident is declared at 06:00 UTC on Monday 3 March 2025; "now" is 10:30 UTC.

=======  ========  =======  ==========  ==============================================
ticket   created   channel  type        later
=======  ========  =======  ==========  ==============================================
old      1 Mar 10  form     refund      (created before the incident: counts in the
                                         backlog from the start, not in the volume)
t1       06:10     form     refund      first reply 07:10 (60 min) → open
t2       06:40     email    refund      first reply 06:50 (10 min) → open
t3       07:20     email    change      customer writes by SMS 08:05; reply 10:00 (160)
t4       08:30     form     refund      reply 08:50 (20 min); solved 09:10; the customer
                                         writes again 10:15 (form) → reopened
t5       09:45     chat     (none)
other    07:00     form     refund      NOT linked to the incident
=======  ========  =======  ==========  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import (
    AgentFactory,
    CustomerFactory,
    RequestTypeFactory,
    TeamFactory,
    make_ticket,
)
from calmdesk.incidents.models import Incident
from calmdesk.tickets.enums import Channel, TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import (
    ticket_change_status,
    ticket_customer_reply,
    ticket_reply,
)

from .factories import IncidentFactory

DECLARED = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 3, 10, 30, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class History:
    incident: Incident
    refunds: Any
    changes: Any
    incident_team: Any
    tickets: dict[str, Ticket]


@pytest.fixture
def history(db: Any) -> History:
    refunds = TeamFactory(slug="refunds", name="Refunds")
    changes = TeamFactory(slug="changes", name="Trip changes")
    crisis = TeamFactory(slug="crisis", name="Crisis cell")
    refund = RequestTypeFactory(key="refund", names={"en": "Refund"}, team=refunds)
    change = RequestTypeFactory(key="change", names={"en": "Change of a trip"}, team=changes)
    agent = AgentFactory(username="ada", profile__teams=[refunds, changes])
    incident = IncidentFactory(slug="ferry-fire", team=crisis, declared_at=DECLARED)

    def ticket(when: datetime, channel: str, request_type: Any) -> Ticket:
        return make_ticket(request_type=request_type, channel=channel, now=when)

    t = {
        "old": ticket(at(10, 0, day=1), Channel.FORM, refund),
        "t1": ticket(at(6, 10), Channel.FORM, refund),
        "t2": ticket(at(6, 40), Channel.EMAIL, refund),
        "other": ticket(at(7, 0), Channel.FORM, refund),
        "t3": ticket(at(7, 20), Channel.EMAIL, change),
        "t4": ticket(at(8, 30), Channel.FORM, refund),
        "t5": ticket(at(9, 45), Channel.CHAT, None),
    }
    ticket_reply(ticket=t["t2"], actor=agent, body_text="On it.", now=at(6, 50))
    ticket_reply(ticket=t["t1"], actor=agent, body_text="On it.", now=at(7, 10))
    ticket_customer_reply(
        ticket=t["t3"],
        customer=t["t3"].customer,
        body_text="Any news?",
        channel=Channel.SMS,
        now=at(8, 5),
    )
    ticket_reply(ticket=t["t4"], actor=agent, body_text="Refunded.", now=at(8, 50))
    ticket_change_status(ticket=t["t4"], status=TicketStatus.SOLVED, actor=agent, now=at(9, 10))
    ticket_reply(ticket=t["t3"], actor=agent, body_text="Rebooked.", now=at(10, 0))
    ticket_customer_reply(
        ticket=t["t4"], customer=t["t4"].customer, body_text="Not received.", now=at(10, 15)
    )
    linked = [t[k].pk for k in ("old", "t1", "t2", "t3", "t4", "t5")]
    Ticket.objects.filter(pk__in=linked).update(incident=incident)
    for key in t:
        t[key].refresh_from_db()
    return History(
        incident=incident, refunds=refunds, changes=changes, incident_team=crisis, tickets=t
    )


@pytest.fixture
def lead(db: Any) -> Any:
    return AgentFactory(username="lena", profile__role=Role.LEAD)


@pytest.fixture
def customer(db: Any) -> Any:
    return CustomerFactory()
