"""Which bookings and customers a segment selects. CONTRACT — implemented by the imports work.

A segment is a dict with any of: ``trip``, ``ship``, ``route``, ``product``, ``tag`` (exact,
case-insensitive), ``departure_from`` / ``departure_to`` (ISO dates, inclusive), ``import``
(a CustomerImport id). All given keys must match; an empty segment selects nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Booking, Customer


def validate_segment(segment: dict[str, Any]) -> dict[str, Any]:
    """The cleaned segment; raises DomainError(field=<key>) for an unknown key or bad date."""
    raise NotImplementedError


def bookings_in_segment(segment: dict[str, Any]) -> QuerySet[Booking]:
    raise NotImplementedError


def customers_in_segment(segment: dict[str, Any]) -> QuerySet[Customer]:
    """Distinct customers with at least one booking in the segment (merged customers excluded)."""
    raise NotImplementedError
