"""The public pages end to end: form → ticket → confirmation → tracking page → reply."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse, set_script_prefix

from calmdesk.core.testing.factories import AgentFactory
from calmdesk.customers.models import Customer
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import FormAlias, Submission
from calmdesk.tickets.enums import MessageKind, TicketStatus
from calmdesk.tickets.models import Attachment, Message, RequestType, Ticket
from calmdesk.tickets.services import ticket_add_note, ticket_change_status, ticket_reply

from .factories import PNG_BYTES, png_upload, upload

pytestmark = pytest.mark.django_db

TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture(autouse=True)
def _seed_form() -> None:
    install_default_form()


def intake_key(token: str) -> str:
    return f"form:{uuid.UUID(token).hex}"


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form_token": TOKEN,
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.com",
        "phone": "+90 532 123 45 67",
        "request_type": "refund",
        "departure_date": "2026-12-24",
        "booking_reference": "ABC123",
        "message": "My flight TK1234 was cancelled. Please refund the tickets.",
    }
    data.update(overrides)
    return data


def submit(client: Client, **overrides: Any) -> Any:
    return client.post("/help", form_data(**overrides))


def submitted_ticket(client: Client, **overrides: Any) -> Ticket:
    response = submit(client, **overrides)
    assert response.status_code == 303, response.content.decode()[:2000]
    return Ticket.objects.get()


# ------------------------------------------------------------------------------------------
# The form
# ------------------------------------------------------------------------------------------


def test_form_shows_the_configured_fields_in_order_in_english(client: Client) -> None:
    response = client.get("/help", HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in html
    form = html[
        html.index('class="request-form') : html.index("</form>", html.index("request-form"))
    ]
    names = re.findall(r'name="([a-z_]+)"', form)
    field_names = [n for n in dict.fromkeys(names) if n != "csrfmiddlewaretoken"]
    assert field_names == [
        "form_token",
        "website_address",
        "name",
        "email",
        "phone",
        "request_type",
        "departure_date",
        "booking_reference",
        "message",
        "attachments",
    ]
    for label in ("Your name", "Email address", "Departure date", "Booking reference"):
        assert label in html
    assert 'type="date"' in html
    assert 'enctype="multipart/form-data"' in html
    assert html.count('type="radio" name="request_type"') == 4


def test_form_in_persian_is_right_to_left_with_persian_labels(client: Client) -> None:
    response = client.get("/help", HTTP_ACCEPT_LANGUAGE="fa")

    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "نشانی ایمیل" in html
    assert "تاریخ حرکت" in html
    assert "استرداد وجه" in html
    # Persian visitors type a Solar Hijri date; no Gregorian picker.
    assert 'placeholder="1405/10/03"' in html
    assert 'type="date"' not in html


def test_honeypot_is_hidden_from_people_and_assistive_technology(client: Client) -> None:
    html = client.get("/help").content.decode()

    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert re.search(r'name="website_address" value="" tabindex="-1"', html)


def test_each_visit_gets_a_fresh_form_token(client: Client) -> None:
    first = re.search(
        r'name="form_token" value="([0-9a-f]{32})"', client.get("/help").content.decode()
    )
    second = re.search(
        r'name="form_token" value="([0-9a-f]{32})"', client.get("/help").content.decode()
    )

    assert first
    assert second
    assert first.group(1) != second.group(1)


def test_type_in_the_query_string_preselects_it(client: Client) -> None:
    html = client.get("/help?type=cancellation").content.decode()

    assert 'value="cancellation" checked' in html
    assert html.count("checked") == 1


def test_alias_preselects_its_type_and_shows_its_title(client: Client) -> None:
    html = client.get("/refund", HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert "Para iadesi talebi" in html
    assert 'value="refund" checked' in html


def test_unknown_and_inactive_aliases_are_not_found(client: Client) -> None:
    FormAlias.objects.create(path="storm", active=False)

    assert client.get("/nowhere").status_code == 404
    assert client.get("/storm").status_code == 404


def test_not_found_page_is_friendly_and_links_to_the_form(client: Client) -> None:
    response = client.get("/nowhere")

    assert "We could not find this page" in response.content.decode()
    assert 'href="/help"' in response.content.decode()


# ------------------------------------------------------------------------------------------
# Submitting
# ------------------------------------------------------------------------------------------


def test_valid_submission_creates_one_ticket_customer_and_message_and_shows_the_wait(
    client: Client,
) -> None:
    response = submit(client)

    ticket = Ticket.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("inbox:thanks", args=[ticket.tracking_token])
    assert Customer.objects.count() == 1
    message = Message.objects.get()
    assert message.kind == MessageKind.INBOUND
    assert message.body_text == "My flight TK1234 was cancelled. Please refund the tickets."
    assert ticket.custom_fields == {"departure_date": "2026-12-24", "booking_reference": "ABC123"}
    assert ticket.request_type == RequestType.objects.get(key="refund")
    assert ticket.team is not None
    assert ticket.team.slug == "refunds"
    assert ticket.intake_key == intake_key(TOKEN)
    assert ticket.announced_wait_minutes is not None

    thanks = client.get(response["Location"])
    html = thanks.content.decode()
    assert thanks.status_code == 200
    assert ticket.reference in html
    from calmdesk.inbox.selectors import wait_label

    assert wait_label(ticket.announced_wait_minutes) in html
    assert f"/t/{ticket.tracking_token}" in html
    assert thanks["Referrer-Policy"] == "no-referrer"


def test_same_form_token_twice_makes_one_ticket_and_the_same_confirmation(client: Client) -> None:
    first = submit(client)
    second = submit(client)

    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert second.status_code == 303
    assert second["Location"] == first["Location"]


def test_filled_honeypot_looks_like_success_and_stores_nothing(client: Client) -> None:
    response = submit(client, website_address="http://spam.example")

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_over_the_limit_an_invalid_form_and_a_bot_are_refused_too(
    client: Client, settings: Any
) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "INTAKE_RATE_LIMIT": 1}
    submit(client)

    invalid = submit(client, form_token=str(uuid.uuid4()), email="not an address")
    bot = submit(client, form_token=str(uuid.uuid4()), website_address="http://spam.example")

    assert (invalid.status_code, bot.status_code) == (429, 429)
    assert Ticket.objects.count() == 1


def test_flood_from_one_address_is_refused_with_retry_after(client: Client, settings: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "INTAKE_RATE_LIMIT": 2}
    tokens = [
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
    ]

    # Three different customers from one client address (a bot, or an office behind NAT).
    responses = [
        submit(client, form_token=t, email=f"c{n}@example.com") for n, t in enumerate(tokens)
    ]

    assert [r.status_code for r in responses] == [303, 303, 429]
    assert int(responses[2]["Retry-After"]) > 0
    assert "Please wait a moment" in responses[2].content.decode()
    assert Ticket.objects.count() == 2
    assert set(Ticket.objects.values_list("intake_key", flat=True)) == {
        intake_key(tokens[0]),
        intake_key(tokens[1]),
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "ayse@@example"}, "email", "Enter an email address like name@example.com."),
        ({"departure_date": "24.12.2026"}, "departure_date", "Enter a date like 2026-12-24."),
        ({"message": "   "}, "message", "Tell us how we can help."),
        ({"name": ""}, "name", "Tell us your name."),
    ],
)
def test_invalid_input_is_shown_per_field_and_nothing_is_stored(
    client: Client, overrides: dict[str, str], field: str, message: str
) -> None:
    response = submit(client, **overrides)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<li><a href="#field-{field}">' in html
    assert f'<p class="error" id="field-{field}-error">{message}' in html
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_invalid_input_keeps_everything_the_visitor_typed(client: Client) -> None:
    response = submit(client, email="not-an-email", message="Line one\nLine <two> & more")

    html = response.content.decode()
    assert 'value="Ayşe Yılmaz"' in html
    assert 'value="not-an-email"' in html
    assert 'value="refund" checked' in html
    assert 'value="2026-12-24"' in html
    assert ">Line one\nLine &lt;two&gt; &amp; more</textarea>" in html
    assert f'name="form_token" value="{TOKEN.replace("-", "")}"' in html


def test_nul_bytes_give_a_clear_error_not_a_crash(client: Client) -> None:
    response = submit(client, name="Ay\x00şe")

    assert response.status_code == 400
    assert "not allowed (a NUL byte)" in response.content.decode()


def test_oversized_attachment_is_refused_and_the_visitor_is_asked_to_reattach(
    client: Client, settings: Any
) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "ATTACHMENT_MAX_BYTES": 50}

    response = submit(client, attachments=[png_upload()], email="bad")

    html = response.content.decode()
    assert response.status_code == 400
    assert "“receipt.png” is too large" in html
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_files_must_be_attached_again_after_another_fields_error(client: Client) -> None:
    response = submit(client, attachments=[png_upload()], email="bad")

    assert "Please attach your files again" in response.content.decode()


def test_forbidden_attachment_is_refused(client: Client) -> None:
    response = submit(client, attachments=[upload("invoice.pdf", b"<html><script>x</script>")])

    assert response.status_code == 400
    assert "contains a web page or a program" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_csrf_protection_stays_on() -> None:
    client = Client(enforce_csrf_checks=True)

    response = submit(client)

    assert response.status_code == 403
    assert Ticket.objects.count() == 0


# ------------------------------------------------------------------------------------------
# Tracking page and attachments
# ------------------------------------------------------------------------------------------


def test_attachments_are_stored_and_downloadable_only_through_their_own_ticket(
    client: Client,
) -> None:
    ticket = submitted_ticket(client, attachments=[png_upload()])
    other = submitted_ticket_for_other_customer(client)
    attachment = Attachment.objects.get(message__ticket=ticket)

    own = client.get(reverse("inbox:attachment", args=[ticket.tracking_token, attachment.pk]))
    foreign = client.get(reverse("inbox:attachment", args=[other.tracking_token, attachment.pk]))

    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PNG_BYTES
    assert own["Content-Disposition"].startswith("attachment;")
    assert 'filename="receipt.png"' in own["Content-Disposition"]
    assert own["Content-Type"] == "image/png"
    assert own["X-Content-Type-Options"] == "nosniff"
    assert own["Content-Security-Policy"] == "sandbox"
    assert foreign.status_code == 404


def submitted_ticket_for_other_customer(client: Client) -> Ticket:
    token = "44444444-4444-4444-8444-444444444444"
    response = submit(client, form_token=token, email="jonas@example.lt")
    assert response.status_code == 303
    return Ticket.objects.get(intake_key=intake_key(token))


def test_attachment_on_an_internal_note_is_never_served(client: Client) -> None:
    ticket = submitted_ticket(client)
    agent = AgentFactory(profile__teams=[ticket.team])
    ticket_add_note(
        ticket=ticket, actor=agent, body_text="Fraud check", attachments=[png_upload("memo.png")]
    )
    note_file = Attachment.objects.get(message__kind=MessageKind.NOTE)

    response = client.get(reverse("inbox:attachment", args=[ticket.tracking_token, note_file.pk]))

    assert response.status_code == 404


def test_tracking_page_shows_the_conversation_but_never_internal_notes(
    client: Client, django_assert_num_queries: Any
) -> None:
    ticket = submitted_ticket(client)
    agent = AgentFactory(profile__teams=[ticket.team])
    ticket_add_note(ticket=ticket, actor=agent, body_text="SECRET: customer is a VIP")
    ticket_reply(ticket=ticket, actor=agent, body_text="We have refunded your tickets.")

    url = reverse("inbox:track", args=[ticket.tracking_token])
    client.get(url)  # warm the session and cache
    # The page's own four, plus two for the callback offer (the ticket's callbacks, the
    # customer's phone to prefill it).
    with django_assert_num_queries(6):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "My flight TK1234 was cancelled." in html
    assert "We have refunded your tickets." in html
    assert "SECRET" not in html
    assert ticket.reference in html
    assert "Refund" in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["Referrer-Policy"] == "no-referrer"


def test_customer_reply_reopens_a_solved_ticket(client: Client) -> None:
    ticket = submitted_ticket(client)
    ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)

    response = client.post(
        reverse("inbox:track", args=[ticket.tracking_token]), {"body": "It is not solved yet."}
    )

    ticket.refresh_from_db()
    assert response.status_code == 303
    assert ticket.status == TicketStatus.OPEN
    assert ticket.messages.filter(kind=MessageKind.INBOUND).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "It is not solved yet." in page
    assert "your message was added" in page


def test_a_double_clicked_reply_is_added_once(client: Client) -> None:
    ticket = submitted_ticket(client)
    page = client.get(reverse("inbox:track", args=[ticket.tracking_token])).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', page)
    assert token is not None
    data = {"body": "Sent twice by accident.", "form_token": token.group(1)}

    first = client.post(reverse("inbox:track", args=[ticket.tracking_token]), data)
    second = client.post(reverse("inbox:track", args=[ticket.tracking_token]), data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert ticket.messages.filter(body_text="Sent twice by accident.").count() == 1


def test_customer_reply_with_an_attachment_is_stored(client: Client) -> None:
    ticket = submitted_ticket(client)

    client.post(
        reverse("inbox:track", args=[ticket.tracking_token]),
        {"body": "Here is the receipt.", "attachments": [png_upload()]},
    )

    assert Attachment.objects.get().message.body_text == "Here is the receipt."


def test_empty_reply_is_refused_with_a_message(client: Client) -> None:
    ticket = submitted_ticket(client)

    response = client.post(reverse("inbox:track", args=[ticket.tracking_token]), {"body": "  "})

    assert response.status_code == 400
    assert "Write your message first." in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_to_a_closed_ticket_shows_why_it_was_refused(client: Client) -> None:
    ticket = submitted_ticket(client)
    ticket_change_status(ticket=ticket, status=TicketStatus.CLOSED, actor=None)

    response = client.post(
        reverse("inbox:track", args=[ticket.tracking_token]), {"body": "Hello again"}
    )

    assert response.status_code == 409
    assert "This request is closed. Please submit a new request." in response.content.decode()
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("name", ["inbox:track", "inbox:thanks"])
def test_wrong_token_is_not_found(client: Client, name: str) -> None:
    submitted_ticket(client)

    assert client.get(reverse(name, args=["x" * 32])).status_code == 404
    assert client.get(reverse(name, args=["y" * 80])).status_code == 404


def test_wrong_token_cannot_download_an_attachment(client: Client) -> None:
    ticket = submitted_ticket(client, attachments=[png_upload()])
    attachment = Attachment.objects.get(message__ticket=ticket)

    response = client.get(reverse("inbox:attachment", args=["x" * 32, attachment.pk]))

    assert response.status_code == 404


def test_form_is_never_cached_so_back_button_gets_a_fresh_token(client: Client) -> None:
    response = client.get("/help")

    assert "no-store" in response["Cache-Control"]


def test_a_form_with_errors_is_never_cached_and_the_redirect_after_success_is_left_alone(
    client: Client,
) -> None:
    invalid = submit(client, email="not an address")
    accepted = submit(client)

    assert invalid.status_code == 400
    assert "no-store" in invalid["Cache-Control"]  # it holds the single-use token again
    assert accepted.status_code == 303
    assert not accepted.has_header("Cache-Control")  # a 303 without freshness is never stored


def test_the_redirect_after_success_keeps_the_script_prefix(client: Client) -> None:
    at_root = submit(client, form_token=str(uuid.uuid4()))
    set_script_prefix("/desk/")  # as the WSGI handler sets it from SCRIPT_NAME
    try:
        under_desk = submit(client, form_token=str(uuid.uuid4()))
    finally:
        set_script_prefix("/")

    tokens = list(Submission.objects.order_by("id").values_list("tracking_token", flat=True))
    assert at_root["Location"] == f"/help/thanks/{tokens[0]}"
    assert under_desk["Location"] == f"/desk/help/thanks/{tokens[1]}"


def test_help_with_a_trailing_slash_leads_to_the_form(client: Client) -> None:
    response = client.get("/help/?type=refund")

    assert response.status_code in (301, 302)
    assert response["Location"] == "/help?type=refund"


def test_reply_flood_is_refused_like_the_form(client: Client, settings: Any) -> None:
    ticket = submitted_ticket(client)
    settings.CALMDESK = {**settings.CALMDESK, "INTAKE_RATE_LIMIT": 1}
    url = reverse("inbox:track", args=[ticket.tracking_token])

    response = client.post(url, {"body": "Any news?"})

    assert response.status_code == 429
    assert ticket.messages.count() == 1


def test_tracking_page_in_persian_shows_solar_hijri_dates(client: Client) -> None:
    ticket = submitted_ticket(client)

    html = client.get(
        reverse("inbox:track", args=[ticket.tracking_token]), HTTP_ACCEPT_LANGUAGE="fa"
    ).content.decode()

    assert '<html lang="fa" dir="rtl">' in html
    assert "۱۴۰" in html  # a Solar Hijri year in Persian digits
    assert "استرداد وجه" in html


def test_the_form_announces_the_expected_wait_per_request_type(client: Client) -> None:
    from django.utils import timezone

    from calmdesk.staffing.selectors import format_wait, public_wait
    from calmdesk.tickets.models import RequestType

    install_default_form()
    refund = RequestType.objects.get(key="refund")

    html = client.get(reverse("inbox:help"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    expected = format_wait(public_wait(request_type=refund, now=timezone.now()).minutes)
    assert "Expected wait" in html
    assert f'data-request-type="refund"><dt>Refund</dt><dd>{expected}</dd>' in html


def test_form_tokens_are_version_7_uuids_in_the_order_they_were_issued(client: Client) -> None:
    def issued() -> uuid.UUID:
        page = client.get("/help").content.decode()
        match = re.search(r'name="form_token" value="([0-9a-f]{32})"', page)
        assert match is not None
        return uuid.UUID(match.group(1))

    first = issued()
    time.sleep(0.002)
    second = issued()

    assert (first.version, first.variant) == (7, uuid.RFC_4122)
    assert first.hex < second.hex
    assert submit(client, form_token=second.hex).status_code == 303
