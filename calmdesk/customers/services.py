"""Find or create the customer behind a contact, by normalised identity."""

from __future__ import annotations

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
    """What we already know of a contact's email and phone (``customer_find``)."""

    email: str
    phone: str
    customer: Customer | None = None
    known: set[tuple[str, str]] = field(default_factory=set)  # (kind, value) already stored

    def missing_identities(self) -> list[tuple[str, str]]:
        wanted = [(IdentityKind.EMAIL.value, self.email), (IdentityKind.PHONE.value, self.phone)]
        return [
            (kind, value) for kind, value in wanted if value and (kind, value) not in self.known
        ]


def customer_find(*, email: str = "", phone: str = "") -> ContactMatch:
    """The customer behind this email (first) or phone, in one query. Values are normalised."""
    match = ContactMatch(email=email, phone=phone)
    wanted = Q(pk__in=[])
    if email:
        wanted |= Q(kind=IdentityKind.EMAIL, value=email)
    if phone:
        wanted |= Q(kind=IdentityKind.PHONE, value=phone)
    if not (email or phone):
        return match
    identities = list(Identity.objects.filter(wanted).select_related("customer"))
    match.known = {(identity.kind, identity.value) for identity in identities}
    by_kind = {identity.kind: identity for identity in identities}
    owner = by_kind.get(IdentityKind.EMAIL) or by_kind.get(IdentityKind.PHONE)
    if owner is not None:
        customer = owner.customer
        while customer.merged_into_id:
            customer = Customer.objects.get(pk=customer.merged_into_id)
        match.customer = customer
    return match


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
