from __future__ import annotations

import pytest

from calmdesk.core.errors import DomainError
from calmdesk.customers.models import Customer, Identity
from calmdesk.customers.services import customer_for_contact, normalize_email, normalize_phone

pytestmark = pytest.mark.django_db


def test_email_domain_and_case_are_normalised() -> None:
    assert normalize_email("  Ayse.Yilmaz@Example.COM ") == "ayse.yilmaz@example.com"


def test_invalid_email_is_a_field_error() -> None:
    with pytest.raises(DomainError) as err:
        normalize_email("not-an-email")
    assert err.value.field == "email"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+90 532 123 45 67", "+905321234567"),
        ("+370 612 34567", "+37061234567"),
        ("+98 912 345 6789", "+989123456789"),
    ],
)
def test_phone_numbers_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_phone_without_country_code_is_refused_with_a_hint() -> None:
    with pytest.raises(DomainError) as err:
        normalize_phone("0532 123 45 67")
    assert err.value.field == "phone"


def test_same_email_finds_the_same_customer_and_adds_the_new_phone() -> None:
    first = customer_for_contact(name="Ayşe", email="ayse@example.com")

    again = customer_for_contact(name="", email="ayse@example.com", phone="+905321234567")

    assert again == first
    assert Customer.objects.count() == 1
    assert set(Identity.objects.values_list("kind", "value")) == {
        ("email", "ayse@example.com"),
        ("phone", "+905321234567"),
    }


def test_a_new_customer_dates_from_their_first_contact() -> None:
    from datetime import UTC, datetime

    first_contact = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    customer = customer_for_contact(name="Rūta", email="ruta@example.com", now=first_contact)

    assert customer.created_at == first_contact
