"""Factories for bookings and customer imports (customers themselves: core.testing)."""

from __future__ import annotations

from datetime import date

import factory

from calmdesk.core.testing.factories import CustomerFactory
from calmdesk.customers.models import Booking


class BookingFactory(factory.django.DjangoModelFactory[Booking]):
    class Meta:
        model = Booking

    customer = factory.SubFactory(CustomerFactory)
    reference = factory.Sequence(lambda n: f"BK{n:06d}")
    trip = "Aegean Explorer"
    ship = "Ege Star"
    route = "Izmir-Athens"
    product = "Cabin"
    departure_date = date(2025, 7, 14)
    tags = factory.LazyFunction(list)
