"""One conversation across channels, in a real browser: an agent sees a ticket's channels in
the queue, accepts a merge suggestion without a reload (HTMX), sees the SMS on the kept
ticket, splits a message off, and opens the customer page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from calmdesk.conversations.models import MergeSuggestion, SuggestionStatus
from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.testing.factories import AgentFactory, TeamFactory
from calmdesk.customers.models import IdentityKind
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import Ticket

pytestmark = [pytest.mark.browser]

PASSWORD = "calm-pass-123"  # noqa: S105 - a test user


def receive(channel: str, kind: str, value: str, body: str, **kwargs: Any) -> Any:
    return contact_receive(
        InboundContact(
            channel=channel,
            identities=[(kind, value)],
            name="Elif Yılmaz",
            body_text=body,
            **kwargs,
        )
    )


@pytest.fixture
def desk(transactional_db: None, live_server: Any) -> Any:
    team = TeamFactory(slug="care", name="Care")
    AgentFactory.create(username="maria", password=PASSWORD, profile__teams=[team])
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        older = receive(
            Channel.EMAIL,
            IdentityKind.EMAIL,
            "elif@example.com",
            "My cruise ABC123 was cancelled: refund please.",
            subject="Refund for ABC123",
            team=team,
        ).ticket
        receive(
            Channel.EMAIL,
            IdentityKind.EMAIL,
            "elif@example.com",
            "Also, my suitcase was lost on the ferry.",
            thread=older,
        )
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        newer = receive(
            Channel.SMS,
            IdentityKind.PHONE,
            "+905321234567",
            "Any news about ABC123? Elif",
            team=team,
        ).ticket
    # The hub suggested the pair itself: another identity naming the same booking.
    suggestion = MergeSuggestion.objects.get(ticket=newer, candidate=older)
    return {"server": live_server, "older": older, "newer": newer, "suggestion": suggestion}


def test_agent_merges_a_suggested_duplicate_splits_a_message_and_opens_the_customer(
    desk: Any, browser: Any, results_dir: Path
) -> None:
    base = desk["server"].url
    older, newer = desk["older"], desk["newer"]
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The queue shows both tickets as possible duplicates, each with its channel.
    page.goto(f"{base}/agent/?view=suggestions")
    rows = page.locator("table.queue tbody tr.queue-row")
    assert rows.count() == 2
    assert page.locator("tr.queue-row .chan-sms").count() == 1
    assert page.locator("tr.queue-row .badge-suggest").count() == 2

    # On the SMS ticket: the suggestion with its evidence; merging keeps the older one.
    page.goto(f"{base}/agent/tickets/{newer.pk}/")
    card = page.locator("#ticket-suggestions .suggestion")
    assert "same booking reference ABC123" in card.inner_text()
    # "Merge into…" loads the candidates when opened, and searches as one types.
    page.locator("#ticket-merge summary").click()
    page.locator("#merge-candidates").filter(has_text="no other open ticket").wait_for()
    page.fill("#merge-q", older.reference)
    page.locator("#merge-candidates").filter(
        has_text=f"Merge this into {older.reference}"
    ).wait_for()
    card.get_by_role("button", name=f"Merge into {older.reference}").click()
    page.wait_for_url(f"**/agent/tickets/{older.pk}/")
    page.locator("#ticket-conversation .msg").filter(has_text="Any news about ABC123?").wait_for()
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert MergeSuggestion.objects.get().status == SuggestionStatus.MERGED
    assert page.locator("#ticket-header .chan-sms").count() == 1
    page.screenshot(path=str(results_dir / "merge-kept-ticket.png"), full_page=True)

    # Split the suitcase message off, without a reload.
    page.evaluate("window.__still_here = true")
    suitcase = page.locator("#ticket-conversation .msg").filter(has_text="suitcase")
    suitcase.locator("input[name=messages]").check()
    page.locator("#ticket-split summary").click()
    page.fill("#split-subject", "Lost suitcase")
    page.get_by_role("button", name="Split off the ticked messages").click()
    page.locator("#ticket-header .notice-ok").filter(has_text="Split off into").wait_for()
    assert page.evaluate("window.__still_here") is True
    assert page.locator("#ticket-conversation").filter(has_text="suitcase").count() == 0
    new = Ticket.objects.get(subject="Lost suitcase")
    assert new.messages.get().body_text == "Also, my suitcase was lost on the ferry."

    # The customer page lists every contact.
    page.locator(".customer h2 a").click()
    page.locator("#customer-contacts").wait_for()
    assert page.locator("#customer-contacts tbody tr").count() == 2
    page.screenshot(path=str(results_dir / "customer-page.png"), full_page=True)
