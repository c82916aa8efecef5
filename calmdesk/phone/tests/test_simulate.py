"""The phone_simulate command posts a whole call to a running server."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from calmdesk.tickets.enums import EventType
from calmdesk.tickets.models import TicketEvent

from ..models import Call, CallState


@pytest.mark.django_db(transaction=True)
def test_a_simulated_call_reaches_a_ticket_through_the_live_server(
    live_server: Any, pbx: Any, extensions: Any
) -> None:
    out = StringIO()

    call_command(
        "phone_simulate",
        url=live_server.url,
        token=pbx.token,
        sign=True,
        pace=0,
        call_id="sim-1",
        stdout=out,
    )

    call = Call.objects.get(external_id="sim-1")
    assert call.state == CallState.COMPLETED
    assert call.duration_seconds == 425
    assert call.hold_count == 1
    assert call.transfer_count == 1
    assert call.ticket is not None
    assert TicketEvent.objects.filter(ticket=call.ticket, type=EventType.CALL).count() == 1
    assert "ended     201" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_wrong_token_stops_the_simulation(live_server: Any, pbx: Any) -> None:
    with pytest.raises(CommandError, match="401"):
        call_command("phone_simulate", url=live_server.url, token="cdp_wrong", pace=0)
    assert Call.objects.count() == 0
