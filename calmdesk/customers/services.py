"""Find or create the customer behind a contact, by normalised identity."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
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


@transaction.atomic
def customer_for_contact(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = "en",
    now: datetime | None = None,
) -> Customer:
    """The customer owning this email (or phone), created if new. Values must be normalised."""
    identity = None
    if email:
        identity = (
            Identity.objects.select_related("customer")
            .filter(kind=IdentityKind.EMAIL, value=email)
            .first()
        )
    if identity is None and phone:
        identity = (
            Identity.objects.select_related("customer")
            .filter(kind=IdentityKind.PHONE, value=phone)
            .first()
        )
    if identity is not None:
        customer = identity.customer
        while customer.merged_into_id:
            customer = Customer.objects.get(pk=customer.merged_into_id)
        if name and not customer.name:
            customer.name = name[:200]
            customer.save(update_fields=["name"])
    else:
        customer = Customer.objects.create(
            name=name[:200], language=language, created_at=now or timezone.now()
        )
    for kind, value in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone)):
        if value and not Identity.objects.filter(kind=kind, value=value).exists():
            try:
                with transaction.atomic():
                    Identity.objects.create(customer=customer, kind=kind, value=value)
            except IntegrityError:  # a concurrent intake created it: it is theirs now
                pass
    return customer
