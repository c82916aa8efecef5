"""The dedup decision on crafted contacts in English, Turkish, Persian and Lithuanian."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from calmdesk.conversations.dedup import (
    ContactFeatures,
    booking_reference_in,
    dedup_decide,
    prepare,
    strip_quoted,
)
from calmdesk.conversations.models import ContactOutcome, MergeSuggestion
from calmdesk.core.testing.factories import RequestTypeFactory
from calmdesk.customers.models import Booking, Customer, Identity
from calmdesk.tickets.enums import TicketStatus
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.services import ticket_change_status

from .factories import NOW, receive

pytestmark = pytest.mark.django_db


def kinds(evidence: dict[str, Any]) -> list[str]:
    return [reason["kind"] for reason in evidence["reasons"]]


# ------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------


def test_quoted_reply_and_signature_are_not_the_customers_words() -> None:
    text = (
        "Any news about my refund?\n-- \nAyşe\n\n"
        "On Mon, 2 Mar 2026, Ayşe <a@example.com> wrote:\n> I want a refund for XK7P2Q"
    )

    assert strip_quoted(text).strip() == "Any news about my refund?"


def test_forwarded_text_is_kept_without_its_header_lines() -> None:
    text = (
        "Mesajımı tekrar iletiyorum!\n---------- İletilen mesaj ---------\n"
        "Kimden: Ayşe <a@example.com>\nKonu: İade\n\nXK7P2Q için iade istiyorum."
    )

    kept = strip_quoted(text)

    assert "Kimden" not in kept
    assert "XK7P2Q için iade istiyorum." in kept


def test_persian_digits_and_dates_become_the_same_details_as_latin_ones() -> None:
    persian = prepare("پرواز TK1934 در تاریخ ۱۲/۰۵ لغو شد، مبلغ ۴۵۰ یورو")
    latin = prepare("Flight TK1934 on 12.05 was cancelled, 450 EUR")

    assert persian.details == latin.details == {"TK1934", "12.05", "450"}


def test_a_record_locator_is_a_booking_reference_but_a_flight_number_is_not() -> None:
    assert booking_reference_in("Booking xk7p2q, flight TK1934") == "XK7P2Q"
    assert booking_reference_in("Flight TK1934 on 12 May") == ""
    assert booking_reference_in("Bookings XK7P2Q and M7TT2P") == ""


# ------------------------------------------------------------------------------------------
# Follow-ups (automatic)
# ------------------------------------------------------------------------------------------


def test_english_any_news_from_the_same_address_joins_the_open_ticket() -> None:
    first = receive(
        email="emma@example.com",
        subject="Refund for booking XK7P2Q",
        body_text="My sailing on 12 May was cancelled, please refund 450 EUR.",
    )

    again = receive(
        email="emma@example.com",
        subject="Refund",
        body_text="Any news about my refund? I wrote two days ago.",
        now=NOW + timedelta(days=1),
    )

    assert again.outcome == ContactOutcome.FOLLOW_UP
    assert again.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1
    assert again.contact is not None
    assert {"same_customer", "recognised_by", "chaser", "same_topic"} <= set(
        kinds(again.contact.evidence)
    )


def test_turkish_restatement_on_whatsapp_by_the_phone_given_on_the_form_joins() -> None:
    refund = RequestTypeFactory.create(key="refund")
    first = receive(
        channel="form",
        email="ayse@example.com",
        phone="+905321234567",
        request_type=refund,
        reference="XK7P2Q",
        subject="İade talebi",
        body_text="12.05.2026 tarihli TK1934 seferim iptal edildi, iadesini istiyorum.",
    )

    again = receive(
        channel="whatsapp",
        phone="+905321234567",
        body_text="Paramı geri istiyorum, TK1934 12.05.2026 iptal oldu. Rezervasyon XK7P2Q.",
        now=NOW + timedelta(hours=5),
    )

    assert again.outcome == ContactOutcome.FOLLOW_UP
    assert again.ticket.pk == first.ticket.pk
    assert again.message is not None
    assert again.message.channel == "whatsapp"


def test_persian_follow_up_with_persian_digits_and_arabic_yeh_joins() -> None:
    first = receive(
        email="maryam@example.com",
        name="مریم احمدی",
        subject="استرداد وجه رزرو 9ZPYHB",
        body_text="سفر من در تاریخ ۲۰۲۶/۰۳/۲۲ لغو شد، لطفا مبلغ ۲۱۰ یورو را برگردانید.",
        language="fa",
    )

    again = receive(
        email="maryam@example.com",
        name="مريم احمدي",  # Arabic yeh, as some keyboards type it
        body_text="از استرداد من خبری نشد؟ رزرو 9ZPYHB",
        language="fa",
        now=NOW + timedelta(days=2),
    )

    assert again.outcome == ContactOutcome.FOLLOW_UP
    assert again.ticket.pk == first.ticket.pk


def test_thanks_but_after_a_recent_solution_reopens_the_ticket() -> None:
    first = receive(
        email="jonas@example.lt",
        name="Jonas Kazlauskas",
        subject="Pinigų grąžinimas už rezervaciją 4SAAB7",
        body_text="Prašau grąžinti 120 EUR už atšauktą reisą.",
        language="lt",
    )
    ticket_change_status(
        ticket=first.ticket, status=TicketStatus.SOLVED, actor=None, now=NOW + timedelta(hours=6)
    )

    again = receive(
        email="jonas@example.lt",
        name="Jonas Kazlauskas",
        body_text="Ačiū, bet pinigų grąžinimas vis dar neįvyko, rezervacija 4SAAB7.",
        language="lt",
        now=NOW + timedelta(days=2),
    )

    assert again.outcome == ContactOutcome.FOLLOW_UP
    assert again.ticket.pk == first.ticket.pk
    assert again.ticket.status == TicketStatus.OPEN
    assert again.contact is not None
    assert "recently_solved" in kinds(again.contact.evidence)


def test_a_ticket_solved_a_week_ago_is_not_joined() -> None:
    first = receive(email="emma@example.com", subject="Refund XK7P2Q", body_text="Refund please.")
    ticket_change_status(ticket=first.ticket, status=TicketStatus.SOLVED, actor=None, now=NOW)

    again = receive(
        email="emma@example.com",
        body_text="Any news about my refund XK7P2Q?",
        now=NOW + timedelta(days=7),
    )

    assert again.outcome == ContactOutcome.NEW
    assert Ticket.objects.count() == 2


# ------------------------------------------------------------------------------------------
# Different matters stay apart
# ------------------------------------------------------------------------------------------


def test_lithuanian_refund_then_date_change_from_one_customer_stay_two_tickets() -> None:
    refund = RequestTypeFactory.create(key="refund")
    change = RequestTypeFactory.create(key="change")
    first = receive(
        channel="form",
        email="ruta@example.lt",
        request_type=refund,
        reference="P8S2RC",
        subject="Pinigų grąžinimas",
        body_text="Atšaukiau kelionę Klaipėda–Kylis, prašau grąžinti 260 EUR.",
        language="lt",
    )

    second = receive(
        channel="form",
        email="ruta@example.lt",
        request_type=change,
        reference="P8S2RC",
        subject="Datos keitimas",
        body_text="Noriu perkelti kitą kelionę savaite vėliau. Ar galima pakeisti datą?",
        language="lt",
        now=NOW + timedelta(hours=3),
    )

    assert second.outcome == ContactOutcome.NEW
    assert second.ticket.pk != first.ticket.pk
    assert not MergeSuggestion.objects.exists()


def test_another_booking_reference_is_another_matter() -> None:
    receive(email="emma@example.com", reference="XK7P2Q", subject="Refund", body_text="Refund.")

    again = receive(
        email="emma@example.com",
        reference="M7TT2P",
        subject="Refund",
        body_text="Refund.",
        now=NOW + timedelta(hours=1),
    )

    assert again.outcome == ContactOutcome.NEW
    assert Ticket.objects.count() == 2


def test_crisis_wave_of_identical_texts_from_different_customers_never_merges() -> None:
    text = "My sailing on MS Aurora was cancelled because of the fire. Do I get a refund?"

    results = [
        receive(
            email=f"passenger{n}@example.com",
            name="Emma Smith",  # even the same name: no shared identity or booking
            subject="Aurora sailing cancelled",
            body_text=text,
            now=NOW + timedelta(minutes=n),
        )
        for n in range(20)
    ]

    assert {r.outcome for r in results} == {ContactOutcome.NEW}
    assert Ticket.objects.count() == 20
    assert not MergeSuggestion.objects.exists()


# ------------------------------------------------------------------------------------------
# Suggestions (maybe): never automatic
# ------------------------------------------------------------------------------------------


def test_family_member_on_the_same_booking_gets_a_suggestion_not_a_merge() -> None:
    first = receive(
        email="ayse@example.com",
        name="Ayşe Yılmaz",
        reference="XK7P2Q",
        subject="İade talebi",
        body_text="Seferimiz iptal edildi, dört kişilik rezervasyon için iade istiyoruz.",
        language="tr",
    )

    second = receive(
        email="mehmet@example.com",
        name="Mehmet Yılmaz",
        reference="xk7p2q",
        subject="İade",
        body_text="Eşimin yazdığı iade talebi için: seferimiz iptal edildi, paramızı istiyoruz.",
        language="tr",
        now=NOW + timedelta(hours=2),
    )

    assert second.outcome == ContactOutcome.SUGGESTED
    assert second.ticket.pk != first.ticket.pk
    suggestion = MergeSuggestion.objects.get()
    assert (suggestion.ticket_id, suggestion.candidate_id) == (second.ticket.pk, first.ticket.pk)
    reasons = {r["kind"]: r for r in suggestion.evidence["reasons"]}
    assert reasons["booking_reference"]["value"] == "XK7P2Q"
    assert reasons["other_customer"]["value"] == "Ayşe Yılmaz"
    assert all(set(r) == {"kind", "value", "weight"} for r in suggestion.evidence["reasons"])
    assert suggestion.score == pytest.approx(sum(r["weight"] for r in reasons.values()), abs=0.05)


def test_the_same_person_from_an_unknown_address_naming_the_booking_is_suggested() -> None:
    holder = Customer.objects.create(name="Emma Smith")
    Identity.objects.create(customer=holder, kind="email", value="emma@example.com")
    Booking.objects.create(customer=holder, reference="XK7P2Q")
    first = receive(
        email="emma@example.com",
        name="Emma Smith",
        subject="Lost luggage",
        body_text="My suitcase did not arrive after the crossing.",
    )

    work = receive(
        email="emma.smith@acme.co.uk",
        name="Emma Smith",
        subject="Luggage",
        body_text="Still no news about my luggage, booking XK7P2Q.",
        now=NOW + timedelta(days=1),
    )

    assert work.outcome == ContactOutcome.SUGGESTED
    assert [s.candidate_id for s in work.suggestions] == [first.ticket.pk]
    assert "similar_name" in kinds(work.suggestions[0].evidence)


def test_a_customer_recognised_only_by_a_typed_phone_is_suggested_not_merged() -> None:
    first = receive(
        email="ayse@example.com",
        phone="+905321234567",
        channel="form",
        subject="Kayıp bagaj",
        body_text="Valizim gelmedi, mavi sert bir valiz.",
        language="tr",
    )

    # A form with another address and the same phone: the phone is a secondary identity.
    other = receive(
        channel="form",
        email="someone@example.net",
        phone="+905321234567",
        subject="Bagaj",
        body_text="Valizim hâlâ gelmedi, haber var mı?",
        language="tr",
        now=NOW + timedelta(hours=4),
    )

    assert other.outcome == ContactOutcome.SUGGESTED
    assert [s.candidate_id for s in other.suggestions] == [first.ticket.pk]


# ------------------------------------------------------------------------------------------
# Cost
# ------------------------------------------------------------------------------------------


def test_a_known_customer_costs_one_query_and_a_booking_reference_one_more(
    django_assert_num_queries: Any,
) -> None:
    for n, reference in enumerate(("XK7P2Q", "M7TT2P", "B2WQ9D", "Z8KL4N", "R5PX7C")):
        receive(
            email="emma@example.com",
            reference=reference,
            subject=f"Matter {n}",
            body_text="Text.",
            now=NOW + timedelta(hours=n),
        )
    customer = Customer.objects.get()
    features = ContactFeatures(customer=customer, text="Any news about my refund?")

    with django_assert_num_queries(1):
        dedup_decide(features, now=NOW + timedelta(days=1))
    features.booking_reference = "XK7P2Q"
    with django_assert_num_queries(2):
        decision = dedup_decide(features, now=NOW + timedelta(days=1))

    assert decision.action == "follow_up"
    assert decision.ticket is not None
    assert decision.ticket.custom_fields["booking_reference"] == "XK7P2Q"


def test_an_unknown_customer_without_a_booking_reference_costs_no_dedup_query(
    django_assert_num_queries: Any,
) -> None:
    features = ContactFeatures(customer=None, text="Hello, please refund my ticket.")

    with django_assert_num_queries(0):
        decision = dedup_decide(features, now=NOW)

    assert decision.action == "new"
