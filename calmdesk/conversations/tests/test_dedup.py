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
from calmdesk.customers.models import Booking, Customer, Identity, name_keys
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
    reasons = kinds(work.suggestions[0].evidence)
    assert "similar_name" in reasons
    assert "holds_booking" in reasons  # the holder's ticket, found through the imported booking


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
    evidence = other.suggestions[0].evidence["reasons"]
    assert {"kind": "shares_identity", "value": "phone", "weight": 1.0} in evidence
    # The typed phone stays with its owner; the new address belongs to a new customer.
    assert other.ticket.customer_id != first.ticket.customer_id
    assert Identity.objects.get(value="+905321234567").customer_id == first.ticket.customer_id
    assert Identity.objects.get(value="someone@example.net").customer_id == (
        other.ticket.customer_id
    )


# ------------------------------------------------------------------------------------------
# Names: the same person at an identity we do not know yet, a family without the booking
# ------------------------------------------------------------------------------------------


def test_name_keys_ignore_case_accents_order_keyboards_and_titles() -> None:
    assert name_keys("Ayşe Yılmaz") == name_keys("AYSE YILMAZ") == name_keys("Yılmaz, Ayşe")
    assert name_keys("Mr George Brown")[0] == name_keys("george brown")[0] == "brown george"
    assert name_keys("مريم احمدي") == name_keys("مریم احمدی")  # Arabic yeh → Persian yeh
    assert name_keys("محمد\u200cرضا رضایی")[0] == name_keys("محمد رضا رضایی")[0]
    # Lithuanian surnames by gender and marriage keep one family key.
    families = {
        name_keys(n)[1] for n in ("Jonas Kazlauskas", "Rūta Kazlauskienė", "Eglė Kazlauskaitė")
    }
    assert families == {"kazlausk"}
    assert name_keys("Emma") == ("emma", "")  # one word: no family name
    assert name_keys("") == ("", "")


def test_the_same_name_from_a_new_telegram_chat_with_a_chaser_is_suggested_not_joined() -> None:
    first = receive(
        email="zeynep.demir@example.com",
        name="Zeynep Demir",
        channel="form",
        subject="Fatura",
        body_text="20.03 tarihli yolculuk için KDV faturası rica ediyorum.",
        language="tr",
    )

    later = receive(
        channel="telegram",
        identities=[("messaging", "telegram:5550001")],
        name="Zeynep Demir",
        body_text="Fatura konusunda haber var mı?",
        language="tr",
        now=NOW + timedelta(hours=20),
    )

    assert later.outcome == ContactOutcome.SUGGESTED
    assert [s.candidate_id for s in later.suggestions] == [first.ticket.pk]
    reasons = kinds(later.suggestions[0].evidence)
    assert {"other_customer", "similar_name", "same_topic"} <= set(reasons)
    assert first.ticket.messages.count() == 1


def test_a_family_member_without_the_booking_reference_is_suggested_by_family_name_and_flight() -> (
    None
):
    first = receive(
        email="jonas.kazlauskas@example.com",
        name="Jonas Kazlauskas",
        subject="Bagažas",
        body_text="Po reiso DF5619 2026-03-08 neatvyko mūsų lagaminas.",
        language="lt",
    )

    wife = receive(
        email="ruta.k@example.net",
        name="Rūta Kazlauskienė",
        subject="Lagaminas",
        body_text="Vyro lagaminas po DF5619 08.03 vis dar neatvyko, prašau padėti.",
        language="lt",
        now=NOW + timedelta(hours=6),
    )

    assert wife.outcome == ContactOutcome.SUGGESTED
    assert [s.candidate_id for s in wife.suggestions] == [first.ticket.pk]
    reasons = {r["kind"]: r["value"] for r in wife.suggestions[0].evidence["reasons"]}
    assert reasons["same_family_name"] == "Jonas Kazlauskas"
    assert "DF5619" in reasons["shared_details"]


def test_a_common_name_with_the_same_topic_alone_suggests_nobody() -> None:
    for n in range(4):
        receive(
            email=f"mehmet{n}@example.com",
            name="Mehmet Yılmaz",
            subject="İade",
            body_text=f"TK{1900 + n} seferim iptal edildi, iade istiyorum.",
            language="tr",
            now=NOW + timedelta(minutes=n),
        )

    another = receive(
        email="mehmet.y@example.org",
        name="Mehmet Yılmaz",
        subject="İade talebi",
        body_text="Biletimin parasını geri istiyorum, seyahat edemiyorum.",
        language="tr",
        now=NOW + timedelta(hours=3),
    )
    same_flight = receive(
        email="m.yilmaz@example.org",
        name="Mehmet Yılmaz",
        subject="İade",
        body_text="TK1902 seferim için iade ne zaman yatacak?",
        language="tr",
        now=NOW + timedelta(hours=4),
    )

    assert (another.outcome, another.suggestions) == (ContactOutcome.NEW, [])
    # Four namesakes: the name says little, the shared flight number does.
    assert len(same_flight.suggestions) <= 1
    assert all(
        "TK1902" in Ticket.objects.get(pk=s.candidate_id).messages.get().body_text
        for s in same_flight.suggestions
    )


def test_namesakes_in_a_crisis_wave_are_not_suggested_to_each_other() -> None:
    texts = [
        "My Aurora sailing on {d} was cancelled after the fire. I want a refund of 450 EUR.",
        "Aurora fire: our cruise on {d} is cancelled, please refund us.",
    ]
    results = [
        receive(
            email=f"p{n}@example.com",
            name=["Emma Smith", "Oliver Brown", "Ava Jones"][n % 3],
            subject="Aurora",
            body_text=texts[n % 2].format(d=f"{10 + n % 12}.04"),
            now=NOW + timedelta(minutes=3 * n),
        )
        for n in range(30)
    ]

    suggested = sum(len(r.suggestions) for r in results)
    # Only those on the same departure date with the same name may be suggested (a detail
    # shared); nobody is joined.
    assert {r.outcome for r in results} <= {ContactOutcome.NEW, ContactOutcome.SUGGESTED}
    assert suggested <= 3
    assert Ticket.objects.count() == 30


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
    features.name = "Emma"  # a first name alone identifies no one: not looked up
    with django_assert_num_queries(0):
        dedup_decide(features, now=NOW)

    assert decision.action == "new"


def test_a_first_contact_matching_nothing_costs_one_query(
    django_assert_num_queries: Any,
) -> None:
    receive(email="emma@example.com", name="Emma Smith", subject="Refund", body_text="Refund.")
    features = ContactFeatures(
        customer=None, text="Refund please", name="Jonas Kazlauskas", booking_reference="ZZ9Q7W"
    )

    with django_assert_num_queries(1) as captured:
        decision = dedup_decide(features, now=NOW + timedelta(hours=1))

    assert "UNION" in captured.captured_queries[0]["sql"]
    assert decision.action == "new"


def test_a_full_name_costs_one_bounded_query_and_none_after_a_certain_follow_up(
    django_assert_num_queries: Any,
) -> None:
    first = receive(
        email="emma@example.com", name="Emma Smith", subject="Refund", body_text="Refund."
    )
    features = ContactFeatures(customer=None, text="Any news on my refund?", name="Emma Smith")

    # The probe (is there anything to compare?), then the bounded name query.
    with django_assert_num_queries(2) as captured:
        decision = dedup_decide(features, now=NOW + timedelta(hours=1))

    sql = captured.captured_queries[1]["sql"]
    assert "name_key" in sql
    assert "family_key" in sql
    assert "LIMIT" in sql
    assert decision.action == "suggest"
    # The customer's own certain follow-up needs no look at other customers.
    known = ContactFeatures(
        customer=first.ticket.customer,
        text="Any news on my refund?",
        name="Emma Smith",
        identity_kind="email",
    )
    with django_assert_num_queries(1):
        assert dedup_decide(known, now=NOW + timedelta(hours=1)).action == "follow_up"
