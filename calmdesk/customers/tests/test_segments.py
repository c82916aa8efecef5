"""Segments: which bookings and customers an incident or a broadcast selects."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import CustomerFactory
from calmdesk.customers.models import CustomerImport
from calmdesk.customers.segments import (
    bookings_in_segment,
    customers_in_segment,
    validate_segment,
)

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def refs(segment: dict[str, Any]) -> list[str]:
    return sorted(bookings_in_segment(segment).values_list("reference", flat=True))


@pytest.fixture
def fleet() -> None:
    BookingFactory(
        reference="A1",
        ship="Ege Star",
        route="Izmir-Athens",
        trip="Aegean",
        product="Cabin",
        departure_date=date(2025, 7, 10),
        tags=["VIP", "family"],
    )
    BookingFactory(
        reference="A2",
        ship="ege star",
        route="Izmir-Rhodes",
        trip="Aegean",
        product="Deck",
        departure_date=date(2025, 7, 14),
        tags=["family"],
    )
    BookingFactory(
        reference="B1",
        ship="Baltic Wind",
        route="Klaipeda-Kiel",
        trip="Baltic",
        product="Cabin",
        departure_date=date(2025, 7, 20),
        tags=[],
    )
    BookingFactory(
        reference="B2",
        ship="Ege Star II",
        route="Izmir-Athens",
        trip="Aegean",
        product="Cabin",
        departure_date=date(2025, 8, 1),
        tags=["vip-plus"],
    )


@pytest.mark.usefixtures("fleet")
class TestBookingsInSegment:
    def test_ship_matches_exactly_ignoring_case(self) -> None:
        assert refs({"ship": "EGE STAR"}) == ["A1", "A2"]

    @pytest.mark.parametrize(
        ("segment", "expected"),
        [
            ({"trip": "baltic"}, ["B1"]),
            ({"route": "izmir-athens"}, ["A1", "B2"]),
            ({"product": "DECK"}, ["A2"]),
            ({"tag": "vip"}, ["A1"]),
            ({"tag": "Family"}, ["A1", "A2"]),
            ({"departure_from": "2025-07-14"}, ["A2", "B1", "B2"]),
            ({"departure_to": "2025-07-14"}, ["A1", "A2"]),
            ({"departure_from": "2025-07-11", "departure_to": "2025-07-20"}, ["A2", "B1"]),
        ],
    )
    def test_each_key_selects_its_bookings(self, segment: dict[str, Any], expected: Any) -> None:
        assert refs(segment) == expected

    def test_all_given_keys_must_match(self) -> None:
        assert refs({"ship": "ege star", "route": "Izmir-Athens"}) == ["A1"]
        assert refs({"route": "Izmir-Athens", "departure_from": "2025-07-15"}) == ["B2"]
        assert refs({"trip": "Aegean", "tag": "family", "product": "deck"}) == ["A2"]
        assert refs({"ship": "Baltic Wind", "tag": "vip"}) == []

    def test_empty_segment_selects_nothing(self) -> None:
        assert refs({}) == []
        assert refs({"ship": "", "tag": None}) == []

    def test_import_key_selects_the_bookings_of_that_list(self) -> None:
        upload = CustomerImport.objects.create(filename="list.csv")
        BookingFactory(reference="C1", source=upload)
        assert refs({"import": upload.pk}) == ["C1"]
        assert refs({"import": str(upload.pk), "ship": "nowhere"}) == []

    def test_tag_inside_a_subquery_keeps_its_table_alias(self) -> None:
        customers = customers_in_segment({"tag": "VIP"})
        assert list(customers.values_list("bookings__reference", flat=True)) == ["A1"]


class TestCustomersInSegment:
    def test_customer_with_two_matching_bookings_counts_once(self) -> None:
        customer = CustomerFactory()
        BookingFactory(customer=customer, reference="X1")
        BookingFactory(customer=customer, reference="X2")
        BookingFactory(reference="Y1", ship="Other")
        assert list(customers_in_segment({"ship": "Ege Star"})) == [customer]

    def test_merged_customer_is_replaced_by_the_one_it_was_merged_into(self) -> None:
        survivor = CustomerFactory()
        merged = CustomerFactory(merged_into=survivor)
        BookingFactory(customer=merged, reference="M1")
        assert list(customers_in_segment({"ship": "Ege Star"})) == [survivor]

    def test_empty_segment_selects_no_customer(self) -> None:
        BookingFactory()
        assert customers_in_segment({}).count() == 0


class TestValidateSegment:
    def test_cleans_texts_dates_and_import(self) -> None:
        cleaned = validate_segment(
            {"ship": "  Ege Star ", "departure_from": date(2025, 7, 1), "import": "7", "tag": ""}
        )
        assert cleaned == {"ship": "Ege Star", "departure_from": "2025-07-01", "import": 7}

    @pytest.mark.parametrize(
        ("segment", "field"),
        [
            ({"colour": "red"}, "colour"),
            ({"departure_from": "14.07.2025"}, "departure_from"),
            ({"departure_to": "2025-02-30"}, "departure_to"),
            ({"departure_from": "2025-07-20", "departure_to": "2025-07-01"}, "departure_to"),
            ({"import": "abc"}, "import"),
            ({"import": -3}, "import"),
            ({"ship": "x" * 121}, "ship"),
            ({"tag": ["a"]}, "tag"),
        ],
    )
    def test_bad_input_names_its_field(self, segment: dict[str, Any], field: str) -> None:
        with pytest.raises(DomainError) as caught:
            validate_segment(segment)
        assert caught.value.field == field

    def test_unknown_key_message_names_the_key(self) -> None:
        with pytest.raises(DomainError, match="colour"):
            validate_segment({"colour": "red"})

    def test_bookings_in_segment_refuses_bad_segment(self) -> None:
        with pytest.raises(DomainError):
            bookings_in_segment({"departure_to": "soon"})
