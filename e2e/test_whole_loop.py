"""The whole loop in a real browser: a customer asks, an agent answers, the customer reads it.

A customer fills /help (a refund, departure in 3 days) and sees the reference and the expected
wait; an agent signs in, finds that request at the top of the queue (urgent), opens it and
replies; the customer sees the reply on the tracking page; the SMTP server received the
acknowledgement and the reply for that customer.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.accounts.models import Team
from calmdesk.core.testing.factories import AgentFactory, CustomerFactory, make_ticket
from calmdesk.tickets.models import RequestType, Ticket

pytestmark = [pytest.mark.browser]

CUSTOMER_EMAIL = "leyla.sadeghi@example.com"
AGENT_PASSWORD = "calm-pass-123"  # noqa: S105 - a test user
REPLY = "Your refund of booking QX7T2M is on its way: 5 business days at most."


def seed_defaults() -> None:
    from calmdesk.inbox.defaults import install_default_form
    from calmdesk.replies.defaults import install_default_templates
    from calmdesk.routing.defaults import install_default_rules
    from calmdesk.sla.defaults import install_default_policies

    install_default_form()
    install_default_rules()
    install_default_policies()
    install_default_templates()


@pytest.fixture
def desk(transactional_db: None, live_server: Any, settings: Any, smtp_server: Any) -> Any:
    """Defaults, one agent on every team, and three calmer requests already waiting."""
    settings.SITE_URL = live_server.url
    seed_defaults()
    AgentFactory.create(
        username="maria", password=AGENT_PASSWORD, profile__teams=Team.objects.all()
    )
    refund = RequestType.objects.get(key="refund")
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    for n in range(3):
        make_ticket(
            customer=CustomerFactory.create(),
            request_type=refund,
            subject=f"Refund question {n}",
            custom_fields={"departure_date": later, "booking_reference": f"OLD00{n}"},
            now=timezone.now() - timedelta(hours=5 - n),
        )
    return live_server


def test_customer_request_is_answered_from_the_top_of_the_queue(
    desk: Any, browser: Any, smtp_server: Any
) -> None:
    base = desk.url
    departure = (timezone.localdate() + timedelta(days=3)).isoformat()

    # The customer asks once.
    customer = browser.new_context(locale="en-GB")
    page = customer.new_page()
    page.goto(f"{base}/help")
    page.fill("#field-name", "Leyla Sadeghi")
    page.fill("#field-email", CUSTOMER_EMAIL)
    page.get_by_label("Refund", exact=True).check()
    page.fill("#field-departure_date", departure)
    page.fill("#field-booking_reference", "QX7T2M")
    page.fill("#field-message", "My ferry was cancelled. Please refund booking QX7T2M.")
    page.get_by_role("button", name="Send my request").click()

    page.wait_for_selector("#thanks-title")
    reference = page.inner_text(".reference").strip()
    assert re.fullmatch(r"CD-\d{6}", reference)
    wait = page.inner_text(".wait-value").strip()
    assert wait
    tracking_link = page.input_value("#tracking-link")
    assert tracking_link.startswith(f"{base}/t/")
    ticket = Ticket.objects.get(pk=int(reference[3:]))
    assert ticket.priority == "urgent"

    # The agent finds it first in the queue and answers.
    agent = browser.new_context(locale="en-GB")
    desk_page = agent.new_page()
    desk_page.goto(f"{base}/accounts/login/")
    desk_page.fill("input[name=username]", "maria")
    desk_page.fill("input[name=password]", AGENT_PASSWORD)
    desk_page.get_by_role("button", name="Sign in").click()
    desk_page.wait_for_selector("table.queue tbody tr.queue-row")
    rows = desk_page.locator("table.queue tbody tr.queue-row")
    assert rows.count() == 4
    top = rows.first
    assert top.locator(".ref").inner_text().strip() == reference
    assert "priority-urgent" in (top.get_attribute("class") or "")
    top.locator(".ref").click()
    desk_page.wait_for_selector("#ticket-composer")
    composer = desk_page.locator("#ticket-composer form[action$='/reply/']")
    composer.locator("textarea[name=body]").fill(REPLY)
    composer.get_by_role("button", name="Send reply").click()
    desk_page.locator("#ticket-conversation .msg-outbound").filter(has_text=REPLY).wait_for()

    # The customer reads the answer on the tracking page.
    page.goto(tracking_link)
    page.locator(".conversation .msg-outbound").filter(has_text=REPLY).wait_for()
    assert page.locator(".conversation .msg-outbound").count() == 1

    # And the mail arrived: the acknowledgement with the reference, then the reply.
    mails = smtp_server.to(CUSTOMER_EMAIL)
    assert len(mails) == 2
    acknowledgement, reply = mails
    assert (
        reference in acknowledgement["Subject"] + acknowledgement.get_body(("plain",)).get_content()
    )
    assert REPLY in reply.get_body(("plain",)).get_content()
    customer.close()
    agent.close()


def test_the_form_in_persian_is_right_to_left(desk: Any, browser: Any, results_dir: Path) -> None:
    context = browser.new_context(locale="fa-IR", viewport={"width": 420, "height": 1100})
    page = context.new_page()
    page.goto(f"{desk.url}/help")

    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "fa"
    assert page.inner_text("label[for=field-departure_date]").startswith("تاریخ حرکت")
    page.screenshot(path=str(results_dir / "help-form-fa.png"), full_page=True)
    assert (results_dir / "help-form-fa.png").stat().st_size > 10_000
    context.close()
