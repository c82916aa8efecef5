"""Find or create the customer behind a contact, by normalised identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError

from .models import Customer, Identity, IdentityKind


def normalize_email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid email address."), field="email") from exc
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}".lower()


def normalize_phone(value: str, *, region: str | None = None) -> str:
    """Any written form → E.164 (+905321234567). Numbers without a country code need ``region``."""
    try:
        parsed = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError(
            _("Enter a phone number with its country code, e.g. +44 20 7946 0958."), field="phone"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise DomainError(_("This phone number is not valid."), field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class ContactMatch:
    """What we already know of a contact's identities (``customer_match``)."""

    wanted: list[tuple[str, str]]  # (kind, normalised value), the channel's own identity first
    customer: Customer | None = None
    known: dict[tuple[str, str], Identity] = field(default_factory=dict)
    # The identity the customer was recognised by; ``by_primary``: it is the one the contact
    # came by (``wanted[0]``), not a secondary one the customer typed (a form's phone).
    matched_by: tuple[str, str] | None = None

    @property
    def by_primary(self) -> bool:
        return self.matched_by is not None and self.matched_by == self.wanted[0]

    @property
    def email(self) -> str:
        return next((v for k, v in self.wanted if k == IdentityKind.EMAIL), "")

    @property
    def phone(self) -> str:
        return next((v for k, v in self.wanted if k == IdentityKind.PHONE), "")

    def missing_identities(self) -> list[tuple[str, str]]:
        return [pair for pair in self.wanted if pair not in self.known]


def customer_match(identities: Sequence[tuple[str, str]]) -> ContactMatch:
    """The customer behind these identities (the first one known, in the order given), in one
    query; a customer merged into another resolves to the one it was merged into."""
    wanted = list(dict.fromkeys((str(k), v) for k, v in identities if v))
    match = ContactMatch(wanted=wanted)
    if not wanted:
        return match
    condition = Q(pk__in=[])
    for kind, value in wanted:
        condition |= Q(kind=kind, value=value)
    found = Identity.objects.filter(condition).select_related("customer")
    match.known = {(identity.kind, identity.value): identity for identity in found}
    owner = next((match.known[pair] for pair in wanted if pair in match.known), None)
    if owner is not None:
        match.matched_by = (owner.kind, owner.value)
        customer = owner.customer
        seen = {customer.pk}
        while customer.merged_into_id and customer.merged_into_id not in seen:
            customer = Customer.objects.get(pk=customer.merged_into_id)
            seen.add(customer.pk)
        match.customer = customer
    return match


def customer_find(*, email: str = "", phone: str = "") -> ContactMatch:
    """The customer behind this email (first) or phone. Values are normalised."""
    return customer_match([(IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone)])


@transaction.atomic(savepoint=False)
def customer_save_contact(
    *, match: ContactMatch, customer: Customer, name: str = "", now: datetime | None = None
) -> Customer:
    """Store ``customer`` if new, fill a missing name, and add the contact's new identities.

    An identity another customer took meanwhile (a concurrent first contact) stays theirs.
    """
    if customer.pk is None:
        customer.created_at = customer.created_at or now or timezone.now()
        customer.save(force_insert=True)
    elif name and not customer.name:
        customer.name = name[:200]
        customer.save(update_fields=["name"])
    new = [
        Identity(customer=customer, kind=kind, value=value)
        for kind, value in match.missing_identities()
    ]
    if new:
        Identity.objects.bulk_create(new, ignore_conflicts=True)
    return customer


def customer_for_contact(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = "en",
    now: datetime | None = None,
) -> Customer:
    """The customer owning this email (or phone), created if new. Values must be normalised."""
    match = customer_find(email=email, phone=phone)
    customer = match.customer or Customer(
        name=name[:200], language=language, created_at=now or timezone.now()
    )
    return customer_save_contact(match=match, customer=customer, name=name, now=now)
